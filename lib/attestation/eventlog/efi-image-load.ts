// UEFI_IMAGE_LOAD_EVENT (PFP 10.4.3) for EV_EFI_BOOT_SERVICES_APPLICATION / _DRIVER and runtime drivers.
import { malformed } from './eventlog-errors.js';
import { LogReader } from './log-reader.js';

export interface DevicePathNode {
  readonly type: number;
  readonly subType: number;
  readonly data: Buffer;
}

export interface EfiImageLoad {
  readonly imageLocation: bigint;
  readonly imageLength: bigint;
  readonly linkTimeAddress: bigint;
  /** The raw EFI_DEVICE_PATH_PROTOCOL bytes; `devicePathNodes` when they parse. */
  readonly devicePath: Buffer;
  readonly devicePathNodes?: readonly DevicePathNode[];
}

const END_OF_HARDWARE_DEVICE_PATH = 0x7f;

export function parseEfiImageLoad(data: Buffer): EfiImageLoad {
  const reader = new LogReader(data);
  const imageLocation = reader.u64('UEFI_IMAGE_LOAD_EVENT.ImageLocationInMemory');
  const imageLength = reader.u64('UEFI_IMAGE_LOAD_EVENT.ImageLengthInMemory');
  const linkTimeAddress = reader.u64('UEFI_IMAGE_LOAD_EVENT.ImageLinkTimeAddress');
  const pathLength = reader.u64('UEFI_IMAGE_LOAD_EVENT.LengthOfDevicePath');
  if (pathLength > BigInt(reader.remaining)) {
    throw malformed('device path within the event data', reader.offset, `length ${pathLength}`);
  }
  const devicePath = reader.take(Number(pathLength), 'UEFI_IMAGE_LOAD_EVENT.DevicePath');
  const devicePathNodes = parseDevicePath(devicePath);
  return devicePathNodes === undefined
    ? { imageLocation, imageLength, linkTimeAddress, devicePath }
    : { imageLocation, imageLength, linkTimeAddress, devicePath, devicePathNodes };
}

/** Splits a device path into nodes up to the end node; undefined if a node length does not fit. */
export function parseDevicePath(path: Buffer): DevicePathNode[] | undefined {
  const nodes: DevicePathNode[] = [];
  let offset = 0;
  while (offset + 4 <= path.length) {
    const type = path.readUInt8(offset);
    const subType = path.readUInt8(offset + 1);
    const length = path.readUInt16LE(offset + 2);
    if (length < 4 || offset + length > path.length) return undefined;
    nodes.push({ type, subType, data: path.subarray(offset + 4, offset + length) });
    offset += length;
    if (type === END_OF_HARDWARE_DEVICE_PATH) break;
  }
  return nodes;
}

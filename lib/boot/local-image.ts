// The deterministic "image" a local node boots: what OVMF, systemd-stub and the Linux EFI stub would measure for a
// Constellation UKI, with fixed stand-in bytes for the firmware, kernel and initrd. Same options → same log → same
// PCRs, so the expected values of an image are known before any node boots (imagePolicy). See README.md for the
// PCR map.
import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { EFI_GUID } from '../attestation/eventlog/efi-guid.js';
import { SYSTEMD_EVENT_TAG } from '../attestation/eventlog/event-content.js';
import type { BootComponent } from './boot-component.js';

export interface LocalImageOptions {
  /** Kernel command line baked into the UKI's .cmdline section (measured into PCR 8 and 11). */
  readonly kernelCommandLine?: string;
}

export const DEFAULT_KERNEL_COMMAND_LINE =
  'console=ttyS0 rd.systemd.show_status=false constellation.csp=qemu mitigations=auto,nosmt';
export const FIRMWARE_VERSION = 'Constellation local firmware 1.0';
export const UKI_PATH = '\\EFI\\Linux\\constellation.efi';
const MAX_COMMAND_LINE = 4096;

/** Fixed stand-in content: `size` bytes expanded from a label, so images differ only where we say. */
function standIn(label: string, size: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < size; counter++) {
    blocks.push(createHash('sha256').update(`${label}\0${counter}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, size);
}

function utf16z(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

function guidBytes(guid: string): Buffer {
  const hex = guid.replaceAll('-', '');
  const bytes = Buffer.from(hex, 'hex');
  // First three fields are little-endian in memory.
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value));
  return bytes;
}

/** UEFI_VARIABLE_DATA (PFP §10.4.2): GUID, name length (chars), data length, UTF-16 name, value. */
function uefiVariable(guid: string, name: string, value: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf16le');
  return Buffer.concat([guidBytes(guid), u64(name.length), u64(value.length), nameBytes, value]);
}

/** EFI device path: one file-path media node (type 4, subtype 4) and the end node. */
function filePathDevicePath(path: string): Buffer {
  const pathBytes = utf16z(path);
  const node = Buffer.alloc(4);
  node.writeUInt8(4, 0);
  node.writeUInt8(4, 1);
  node.writeUInt16LE(4 + pathBytes.length, 2);
  return Buffer.concat([node, pathBytes, Buffer.from([0x7f, 0xff, 0x04, 0x00])]);
}

/** UEFI_IMAGE_LOAD_EVENT (PFP §10.4.3) for an image of `length` bytes loaded from `path`. */
function imageLoadEvent(length: number, path: string): Buffer {
  const devicePath = filePathDevicePath(path);
  return Buffer.concat([u64(0x7e000000), u64(length), u64(0), u64(devicePath.length), devicePath]);
}

/** TCG_PCClientTaggedEvent: id, size, data. */
function taggedEvent(id: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(id, 0);
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data]);
}

function separator(pcr: number): BootComponent {
  const data = Buffer.alloc(4);
  return { pcr, eventType: 'EV_SEPARATOR', data, measured: data };
}

function efiAction(pcr: number, text: string): BootComponent {
  const data = Buffer.from(text, 'latin1');
  return { pcr, eventType: 'EV_EFI_ACTION', data, measured: data };
}

interface UkiSection {
  readonly name: string;
  readonly content: Buffer;
}

function ukiSections(commandLine: string): UkiSection[] {
  return [
    { name: '.linux', content: standIn('constellation local kernel', 4096) },
    {
      name: '.osrel',
      content: Buffer.from('ID=constellation\nNAME="Constellation (local)"\nVERSION_ID=1\n', 'utf8'),
    },
    { name: '.cmdline', content: Buffer.from(commandLine, 'utf8') },
    { name: '.initrd', content: standIn('constellation local initrd', 2048) },
  ];
}

/** The UKI file: a stand-in PE header and its sections (what the firmware's image digest covers). */
function ukiImage(sections: readonly UkiSection[]): Buffer {
  return Buffer.concat([
    Buffer.from('MZ constellation local UKI\0', 'latin1'),
    ...sections.flatMap((section) => [Buffer.from(`${section.name}\0`, 'latin1'), section.content]),
  ]);
}

/**
 * Boot components in measurement order:
 *   PCR 0  EV_S_CRTM_VERSION (firmware version), EV_POST_CODE (firmware volume)
 *   PCR 7  EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot = 0 (the local image is not signed), then its separator
 *   PCR 4  EV_EFI_ACTION "Calling EFI Application from Boot Option"
 *   PCR 0-6 EV_SEPARATOR (00000000)
 *   PCR 4  EV_EFI_BOOT_SERVICES_APPLICATION: the UKI
 *   PCR 11 systemd-stub: per UKI section, EV_IPL name (with NUL) then EV_IPL content
 *   PCR 8  the command line as systemd-stub before v251 logged it (EV_IPL, UTF-16LE with NUL)
 *   PCR 9  the Linux EFI stub's initrd measurement (EV_EVENT_TAG 0x8f3b22ed "Linux initrd")
 *   PCR 5  EV_EFI_ACTION "Exit Boot Services Invocation" / "… Returned with Success"
 */
export function localImage(options: LocalImageOptions = {}): BootComponent[] {
  const commandLine = options.kernelCommandLine ?? DEFAULT_KERNEL_COMMAND_LINE;
  if (typeof commandLine !== 'string' || commandLine.length > MAX_COMMAND_LINE || commandLine.includes('\0')) {
    throw invalidArgument(
      'kernelCommandLine',
      `a string of at most ${MAX_COMMAND_LINE} chars without NUL`,
      commandLine,
    );
  }
  const sections = ukiSections(commandLine);
  const uki = ukiImage(sections);
  const firmwareVersion = utf16z(FIRMWARE_VERSION);
  const firmwareVolume = standIn('constellation local firmware volume', 8192);
  const secureBoot = uefiVariable(EFI_GUID.GLOBAL_VARIABLE, 'SecureBoot', Buffer.from([0]));
  const initrd = sections.find((section) => section.name === '.initrd')?.content ?? Buffer.alloc(0);
  const cmdlineUtf16 = utf16z(commandLine);
  return [
    { pcr: 0, eventType: 'EV_S_CRTM_VERSION', data: firmwareVersion, measured: firmwareVersion },
    // UEFI_PLATFORM_FIRMWARE_BLOB: base and length of the measured volume.
    {
      pcr: 0,
      eventType: 'EV_POST_CODE',
      data: Buffer.concat([u64(0xffc00000), u64(firmwareVolume.length)]),
      measured: firmwareVolume,
    },
    { pcr: 7, eventType: 'EV_EFI_VARIABLE_DRIVER_CONFIG', data: secureBoot, measured: secureBoot },
    separator(7),
    efiAction(4, 'Calling EFI Application from Boot Option'),
    ...[0, 1, 2, 3, 4, 5, 6].map(separator),
    {
      pcr: 4,
      eventType: 'EV_EFI_BOOT_SERVICES_APPLICATION',
      data: imageLoadEvent(uki.length, UKI_PATH),
      measured: uki,
    },
    ...sections.flatMap((section): BootComponent[] => [
      { pcr: 11, eventType: 'EV_IPL', data: utf16z(section.name), measured: Buffer.from(`${section.name}\0`) },
      { pcr: 11, eventType: 'EV_IPL', data: utf16z(section.name), measured: section.content },
    ]),
    { pcr: 8, eventType: 'EV_IPL', data: cmdlineUtf16, measured: cmdlineUtf16 },
    {
      pcr: 9,
      eventType: 'EV_EVENT_TAG',
      data: taggedEvent(SYSTEMD_EVENT_TAG.INITRD, Buffer.from('Linux initrd\0', 'latin1')),
      measured: initrd,
    },
    efiAction(5, 'Exit Boot Services Invocation'),
    efiAction(5, 'Exit Boot Services Returned with Success'),
  ];
}

// What we read from LUKS bytes ourselves instead of starting cryptsetup. Whether a device carries any LUKS
// signature at all: "no header" must mean exactly that; a device whose header is merely damaged (or tampered so
// cryptsetup cannot load it) is not blank and is never reformatted. The UUID and, for a header we formatted
// ourselves, the JSON metadata of a LUKS2 header copy.
import { open } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES } from './state-disk.js';

const PRIMARY_MAGIC = Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]); // "LUKS\xba\xbe"
const SECONDARY_MAGIC = Buffer.from([0x53, 0x4b, 0x55, 0x4c, 0xba, 0xbe]); // "SKUL\xba\xbe" (LUKS2 second copy)
// LUKS2 places the second header copy right after the first, whose size is one of these (luks2 on-disk format).
const SECONDARY_OFFSETS = [0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000];

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

export async function hasLuksSignature(device: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(device, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new ConstellationError(
        STATE_DISK_ERROR_CODES.DISK_DEVICE_MISSING,
        `Expected a state disk at ${device} but there is none`,
      );
    }
    throw new ConstellationError(
      STATE_DISK_ERROR_CODES.DISK_IO_FAILED,
      `Expected to read the state disk ${device} but could not (${isErrno(error, 'EACCES') ? 'permission denied' : 'read error'})`,
      { cause: error },
    );
  }
  try {
    const magic = Buffer.alloc(PRIMARY_MAGIC.length);
    for (const [offset, expected] of [
      [0, PRIMARY_MAGIC] as const,
      ...SECONDARY_OFFSETS.map((o) => [o, SECONDARY_MAGIC] as const),
    ]) {
      const { bytesRead } = await handle.read(magic, 0, magic.length, offset);
      if (bytesRead === magic.length && magic.equals(expected)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

// LUKS2 binary header: magic[6] version(u16 BE) hdr_size(u64) seqid(u64) label[48] checksum_alg[32] salt[64]
// uuid[40] … (luks2 on-disk format). Read from our private header copy, it saves a `cryptsetup luksUUID` process
// per header operation (about a second each in a TCG guest).
const VERSION_OFFSET = 6;
const UUID_OFFSET = 168;
const UUID_FIELD_BYTES = 40;

/** The UUID of a LUKS2 header (bytes from its start), or undefined when they are not a LUKS2 primary header. */
export function luks2HeaderUuid(header: Buffer): string | undefined {
  if (header.length < UUID_OFFSET + UUID_FIELD_BYTES) return undefined;
  if (!header.subarray(0, PRIMARY_MAGIC.length).equals(PRIMARY_MAGIC)) return undefined;
  if (header.readUInt16BE(VERSION_OFFSET) !== 2) return undefined;
  const field = header.subarray(UUID_OFFSET, UUID_OFFSET + UUID_FIELD_BYTES);
  const end = field.indexOf(0);
  return field
    .subarray(0, end < 0 ? field.length : end)
    .toString('latin1')
    .toLowerCase();
}

const HDR_SIZE_OFFSET = 8;
const BINARY_HEADER_BYTES = 4096;

/**
 * The JSON metadata of the primary LUKS2 header in `header` (parsed, not validated), or undefined when the bytes
 * are not a LUKS2 header with a JSON area. Only for a header this process formatted into its private copy: a
 * header from a disk goes through `cryptsetup luksDump`, which checks both copies' checksums and picks the one
 * cryptsetup will use (an attacker could make the two copies disagree).
 */
export function ownLuks2Metadata(header: Buffer): unknown {
  if (luks2HeaderUuid(header) === undefined) return undefined;
  const size = header.readBigUInt64BE(HDR_SIZE_OFFSET);
  if (size <= BigInt(BINARY_HEADER_BYTES) || size > BigInt(header.length)) return undefined;
  const area = header.subarray(BINARY_HEADER_BYTES, Number(size));
  const end = area.indexOf(0);
  try {
    return JSON.parse(area.subarray(0, end < 0 ? area.length : end).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

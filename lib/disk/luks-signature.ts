// Whether a device carries any LUKS signature at all. "No header" must mean exactly that: a device whose header
// is merely damaged (or tampered so cryptsetup cannot load it) is not blank and is never reformatted.
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

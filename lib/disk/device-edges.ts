// Writes zeros over the first and last MiB of a freshly mapped state disk, in whole 4 KiB blocks. With
// dm-integrity formatted without its full wipe, a never-written sector has no valid tag and reads as an I/O
// error. mke2fs reads and partially rewrites the first 4 KiB (it zaps sectors 0-7 of old boot records and
// labels) and probes signatures near the end: both would hit unwritten sectors. Whole aligned blocks are
// written without reading, after which those regions read back normally.
import { open, readFile } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES as CODES } from './state-disk.js';

const EDGE_BYTES = 1024 * 1024;
const BLOCK_BYTES = 4096;

/** Size in bytes of a block device (from sysfs: fstat reports 0) or of a regular file. */
async function deviceBytes(path: string, handle: Awaited<ReturnType<typeof open>>): Promise<number> {
  const stats = await handle.stat({ bigint: true });
  if (!stats.isBlockDevice()) return Number(stats.size);
  const rdev = stats.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const sectors = (await readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8')).trim();
  if (!/^\d+$/.test(sectors)) {
    throw new ConstellationError(CODES.DISK_COMMAND_FAILED, `Expected a sector count for ${path}, found "${sectors}"`);
  }
  return Number(sectors) * 512;
}

/** Zeroes [0, 1 MiB) and the last MiB (4 KiB aligned); a device under 2 MiB is zeroed whole. */
export async function zeroDeviceEdges(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r+');
    const size = await deviceBytes(path, handle);
    const usable = size - (size % BLOCK_BYTES);
    const head = Math.min(EDGE_BYTES, usable);
    const tailStart = Math.max(head, usable - EDGE_BYTES);
    const zeros = Buffer.alloc(EDGE_BYTES);
    await handle.write(zeros, 0, head, 0);
    if (usable > tailStart) await handle.write(zeros, 0, usable - tailStart, tailStart);
    await handle.sync();
  } catch (error) {
    if (error instanceof ConstellationError) throw error;
    throw new ConstellationError(
      CODES.DISK_COMMAND_FAILED,
      `Expected to zero the edges of ${path} before mkfs, found ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
}

// Writes zeros over the first 256 KiB of a freshly mapped state disk, in whole 4 KiB blocks. With dm-integrity
// formatted without its full wipe, a never-written sector has no valid tag and reads as an I/O error. mke2fs
// rewrites parts of block 0 (the superblock at 1 KiB, zapped boot sectors), so the kernel reads that block, and its
// readahead reaches further (16 KiB for a first read, at most 128 KiB): with only 4 KiB zeroed, a guest logged
// "INTEGRITY AEAD ERROR, sector 8" during mkfs. Whole aligned blocks are written without reading, after which that
// region reads back normally. Nothing else is read before it is written: udev does not probe the state disk's dm
// devices (58-constellation-state-disk.rules), mke2fs writes every other block it later reads (group descriptors,
// bitmaps, the inode-table blocks of its reserved inodes) and clears the end of the device by writing, and ext4
// reads only blocks it wrote. No fsync: mke2fs reads the zeros back and syncs the device when it is done. (Zeroing
// the first and last MiB with an fsync took a cluster guest 0.4-0.77 s of its first boot; this takes 0.12 s.)
import { open } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { STATE_DISK_ERROR_CODES as CODES } from './state-disk.js';

export const DEVICE_HEAD_BYTES = 256 * 1024;
const BLOCK_BYTES = 4096;

/**
 * Zeroes [0, 256 KiB). A block device must be at least that large (the sysfs size lookup cost a TCG guest 0.1 s, and
 * a state disk is gigabytes); a regular file (tests) smaller than that has its whole 4 KiB blocks zeroed.
 */
export async function zeroDeviceHead(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r+');
    const stats = await handle.stat();
    const head = stats.isBlockDevice()
      ? DEVICE_HEAD_BYTES
      : Math.min(DEVICE_HEAD_BYTES, stats.size - (stats.size % BLOCK_BYTES));
    const { bytesWritten } = await handle.write(Buffer.alloc(head), 0, head, 0);
    if (bytesWritten !== head) {
      throw new ConstellationError(
        CODES.DISK_COMMAND_FAILED,
        `Expected ${path} to take ${head} bytes of zeros at its start (a state disk of at least 256 KiB), found room for ${bytesWritten}`,
      );
    }
  } catch (error) {
    if (error instanceof ConstellationError) throw error;
    throw new ConstellationError(
      CODES.DISK_COMMAND_FAILED,
      `Expected to zero the first 256 KiB of ${path} before mkfs, found ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
}

// The ext4 filesystem on the mapped state disk: created once after the first open, mounted on every open.
import { mkdir } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import type { CryptsetupRunner, DiskProgram } from './command-runner.js';
import { STATE_DISK_ERROR_CODES as CODES } from './state-disk.js';

async function run(runner: CryptsetupRunner, program: DiskProgram, args: readonly string[]): Promise<void> {
  const result = await runner.run(program, args);
  if (result.missing) {
    throw new ConstellationError(
      CODES.DISK_TOOL_MISSING,
      `Expected ${program} on PATH but found none; install it with \`apt-get install ${program === 'mkfs.ext4' ? 'e2fsprogs' : 'mount'}\``,
    );
  }
  if (result.exitCode !== 0) {
    const line = result.stderr.split('\n').find((candidate) => candidate.trim() !== '') ?? 'no message';
    throw new ConstellationError(
      CODES.DISK_COMMAND_FAILED,
      `${program} ${args.at(-1) ?? ''}: expected exit code 0, found ${result.exitCode ?? 'none'} (${line.trim().slice(0, 200)})`,
    );
  }
}

/**
 * Only metadata is written: no discard (with dm-integrity a discard would leave sectors whose tags do not match)
 * and lazy inode tables, which the kernel never reads before initialising them (uninit_bg) and zeroes in the
 * background. The journal is zeroed (lazy_journal_init=0) because jbd2 recovery scans past the last commit,
 * and on a dm-integrity disk formatted without a wipe a never-written block reads as an I/O error, not zeros.
 * 4 KiB filesystem blocks on 4 KiB sectors: no read-modify-write of never-written sectors. For the same reason
 * `integrity` drops the backup superblocks (sparse_super2, none): each is a 1 KiB write into a never-written
 * block of its group, which the page cache must read first (seen in a guest: "Input/output error while writing
 * out and closing file system"). dm-integrity detects corruption; a damaged primary superblock is not repaired
 * from a backup but refused, like any other tampering.
 */
export async function makeFilesystem(
  runner: CryptsetupRunner,
  mapped: string,
  options: { readonly integrity?: boolean } = {},
): Promise<void> {
  const extended = ['nodiscard', 'lazy_itable_init=1', 'lazy_journal_init=0'];
  const features: string[] = [];
  if (options.integrity === true) {
    extended.push('num_backup_sb=0');
    features.push('-O', 'sparse_super2');
  }
  await run(runner, 'mkfs.ext4', ['-q', '-F', '-b', '4096', ...features, '-E', extended.join(','), mapped]);
}

export async function mountFilesystem(runner: CryptsetupRunner, mapped: string, mountPoint: string): Promise<void> {
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await run(runner, 'mount', ['-t', 'ext4', '-o', 'nosuid,nodev', mapped, mountPoint]);
}

export async function unmountFilesystem(runner: CryptsetupRunner, mountPoint: string): Promise<void> {
  await run(runner, 'umount', [mountPoint]);
}

// A private (0700) scratch directory in RAM for detached LUKS header copies and key pipes. /dev/shm is tmpfs,
// so neither a header copy nor a key ever reaches a disk; the OS temp dir is the fallback when it is absent.
import { constants } from 'node:fs';
import { access, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError } from '../errors.js';

async function scratchRoot(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** Runs `body` with a fresh 0700 directory that is removed afterwards, whatever happens. */
export async function withPrivateWorkdir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(await scratchRoot(), 'constellation-disk-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Hands `key` to a child process as a file path without writing it to any file: a FIFO in `dir` that we open
 * read-write (so opening never blocks) and fill before the child starts. The child must read exactly
 * `key.length` bytes (cryptsetup `--new-keyfile-size`), because the pipe has no EOF while we hold it open.
 * /dev/fd/N does not work here: Node's child stdio are sockets, which cannot be opened by path.
 */
export async function withKeyPipe<T>(dir: string, key: Buffer, body: (path: string) => Promise<T>): Promise<T> {
  const path = join(dir, 'key.fifo');
  const { execa } = await import('execa'); // loaded on first use, as in command-runner.ts
  const made = await execa('mkfifo', ['-m', '600', path], { reject: false });
  if (made.exitCode !== 0) {
    throw new ConstellationError(
      'DISK_TOOL_MISSING',
      `Expected mkfifo (coreutils) to create a key pipe but it ${made.exitCode === undefined ? 'is not installed' : `failed with exit code ${made.exitCode}`}`,
    );
  }
  const handle = await open(path, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    await handle.write(key);
    return await body(path);
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
}

// A configfs-tsm look-alike over a real temporary directory that replays recorded evidence: mkdir under report/
// populates the entry the way the kernel does (provider, generation, outblob, auxblob), writes to inblob/privlevel
// bump `generation`, and every write is logged so tests can check what the issuer asked for.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Test } from 'tap';
import type { TsmFilesystem } from '../../../../lib/attestation/issuers/configfs-tsm-report.js';

export interface ReplayOptions {
  readonly provider: string;
  /** The recorded report/quote every entry answers with. */
  readonly outblob: Buffer;
  /** Recorded auxiliary data; the file is absent when undefined. */
  readonly auxblob?: Buffer;
  /** Simulates another writer: the next N outblob reads each bump `generation` once more. */
  readonly racingReads?: number;
  /** Replaces the content of `generation` (to test a kernel answer we cannot parse). */
  readonly generationText?: string;
  /** Makes mkdir fail with this errno code. */
  readonly mkdirError?: string;
}

export interface ReplayedWrite {
  readonly entry: string;
  readonly file: string;
  readonly data: Buffer;
}

export interface ReplayedConfigfs {
  readonly root: string;
  readonly fs: TsmFilesystem;
  readonly writes: ReplayedWrite[];
  /** Entries made and whether each still exists. */
  readonly entries: string[];
  remaining(): Promise<string[]>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function replayConfigfs(t: Pick<Test, 'teardown'>, options: ReplayOptions): Promise<ReplayedConfigfs> {
  const root = await mkdtemp(join(tmpdir(), 'tsm-replay-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const reportDir = join(root, 'report');
  await mkdir(reportDir);
  const writes: ReplayedWrite[] = [];
  const entries: string[] = [];
  let racingReads = options.racingReads ?? 0;

  const bumpGeneration = async (entry: string): Promise<void> => {
    const path = join(entry, 'generation');
    const current = Number((await readFile(path, 'utf8')).trim());
    await writeFile(path, `${current + 1}\n`);
  };

  const fs: TsmFilesystem = {
    async mkdir(path) {
      if (options.mkdirError !== undefined) {
        throw Object.assign(new Error(`${options.mkdirError}: mkdir '${path}'`), { code: options.mkdirError });
      }
      await mkdir(path);
      if (dirname(path) !== reportDir) return;
      entries.push(path);
      await writeFile(join(path, 'provider'), `${options.provider}\n`);
      await writeFile(join(path, 'generation'), options.generationText ?? '0\n');
      await writeFile(join(path, 'outblob'), options.outblob);
      if (options.auxblob !== undefined) await writeFile(join(path, 'auxblob'), options.auxblob);
    },
    async rmdir(path) {
      await rm(path, { recursive: true });
    },
    async readFile(path) {
      if (basename(path) === 'outblob' && racingReads > 0) {
        racingReads -= 1;
        await bumpGeneration(dirname(path));
      }
      return readFile(path);
    },
    async writeFile(path, data) {
      const file = basename(path);
      if (file !== 'inblob' && file !== 'privlevel') {
        throw Object.assign(new Error(`EACCES: ${file} is read-only`), { code: 'EACCES' });
      }
      writes.push({ entry: dirname(path), file, data: Buffer.from(data) });
      await writeFile(path, data);
      await bumpGeneration(dirname(path));
    },
    async isDirectory(path) {
      try {
        return (await stat(path)).isDirectory();
      } catch {
        return false;
      }
    },
  };

  return {
    root,
    fs,
    writes,
    entries,
    remaining: async () => {
      const left: string[] = [];
      for (const entry of entries) if (await exists(entry)) left.push(entry);
      return left;
    },
  };
}

/** A directory path that does not exist (for "configfs-tsm absent"). */
export async function missingDirectory(t: Pick<Test, 'teardown'>): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'tsm-absent-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  return join(parent, 'no-such-tsm');
}

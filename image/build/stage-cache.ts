// Build stages cached in out/image/.cache/<stage>-<key>/, keyed by a digest of their inputs. A stage is built in a
// temporary directory and renamed into place only when it succeeded, so a half-built stage is never reused. One
// entry per stage is kept (the root tree alone is ~800 MB), and the temporary directory of a build that was killed
// (its process is gone) is removed by the next build of that stage: one such verity-root leftover held 921 MB.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log/index.js';

export interface StageCacheOptions {
  readonly dir: string;
  /** Rebuild every stage even when an entry with the same key exists (the reproducibility check). */
  readonly noCache: boolean;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface StageRecord {
  readonly stage: string;
  readonly key: string;
  readonly reused: boolean;
  readonly seconds: number;
}

const KEY_CHARS = 16;
const TEMPORARY = /\.tmp-(\d+)$/;

/** Whether process `pid` still runs (signal 0 checks without sending; EPERM means it runs as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `entry` goes when `stage` publishes `name`: the stage's previous result under any key, or a temporary
 * directory whose build process has exited (a running build's is kept, this build's own is renamed into place).
 */
function replaced(entry: string, stage: string, name: string): boolean {
  if (entry === name) return true;
  if (!entry.startsWith(`${stage}-`)) return false;
  const temporary = TEMPORARY.exec(entry);
  return temporary === null || !running(Number(temporary[1]));
}

export class StageCache {
  readonly records: StageRecord[] = [];
  readonly #options: StageCacheOptions;

  constructor(options: StageCacheOptions) {
    this.#options = options;
  }

  /** The directory of `stage` for `key`: reused when present (and caching is on), else built by `build(dir)`. */
  async stage(stage: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
    const now = this.#options.now ?? Date.now;
    const name = `${stage}-${key.slice(0, KEY_CHARS)}`;
    const dir = join(this.#options.dir, name);
    await mkdir(this.#options.dir, { recursive: true });
    const existing = await readdir(this.#options.dir);
    if (!this.#options.noCache && existing.includes(name)) {
      this.records.push({ stage, key, reused: true, seconds: 0 });
      this.#options.logger.info(`stage ${stage}: reused (${name})`);
      return dir;
    }
    const started = now();
    this.#options.logger.info(`stage ${stage}: building (${name})`);
    const temporary = `${dir}.tmp-${String(process.pid)}`;
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    try {
      await build(temporary);
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
    for (const entry of existing) {
      if (replaced(entry, stage, name)) await rm(join(this.#options.dir, entry), { recursive: true, force: true });
    }
    await rename(temporary, dir);
    const seconds = (now() - started) / 1000;
    this.records.push({ stage, key, reused: false, seconds });
    this.#options.logger.info(`stage ${stage}: built in ${seconds.toFixed(1)} s`);
    return dir;
  }
}

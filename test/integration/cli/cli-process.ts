// Runs the CLI as a child process (`node --import tsx cli/main.ts …`), as a user would run it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const VECTORS = `${REPO}test/vectors/`;

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCliProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `${REPO}cli/main.ts`, ...args],
      { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`could not run the CLI: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Reads a vector; a missing file throws, so the test fails instead of skipping. */
export function vector(path: string): Buffer {
  return readFileSync(VECTORS + path);
}

/** A copy of `bytes` with one byte XOR-ed. */
export function flipped(bytes: Buffer, offset: number, mask = 0x01): Buffer {
  const out = Buffer.from(bytes);
  const value = out[offset];
  if (value === undefined) throw new Error(`offset ${offset} is outside ${bytes.length} bytes`);
  out[offset] = value ^ mask;
  return out;
}

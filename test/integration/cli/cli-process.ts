// Runs the CLI as a child process from the build (`node bin/constellation.js …`), as a user would run it. `npm test`
// builds first; compiling the TypeScript on the fly instead (tsx) cost seconds per run and pushed these files past
// tap's per-file timeout on slower machines.
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
      [`${REPO}bin/constellation.js`, ...args],
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

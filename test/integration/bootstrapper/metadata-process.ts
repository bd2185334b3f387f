// The metadata agent as a child process (node --import tsx main.ts) for the Bootstrapper process tests: listens on
// `host`:0 with `inventory`, and resolves with its URL once it printed where it listens.
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

const METADATA_MAIN = resolve(import.meta.dirname, '../../../agents/metadata/main.ts');

export async function startMetadata(t: Test, host: string, inventory: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', METADATA_MAIN, '--listen', `${host}:0`, '--inventory', inventory, '--log-level', 'error'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout }).once('line', resolveLine);
    child.once('exit', (code) => {
      reject(new Error(`metadata exited ${String(code)}`));
    });
  });
  return `http://${(JSON.parse(line) as { listening: string }).listening}`;
}

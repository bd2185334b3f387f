// Runs the verification agent as a child process (`node --import tsx agents/verification/main.ts …`) against a
// swtpm, reads its {"listening": …} line, and stops it in the test's teardown if the test did not.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly grpc: string;
  readonly http: string;
  readonly akName: string;
  readonly stderr: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startAgentProcess(t: Pick<Test, 'teardown'>, args: readonly string[]): Promise<AgentProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REPO}agents/verification/main.ts`, ...args], {
    cwd: REPO,
    env: { ...process.env, TSS2_LOG: 'all+NONE', NOTIFY_SOCKET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = await exited;
    return code;
  };
  t.teardown(async () => {
    await stop();
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`verification agent exited with ${String(code)} before listening: ${stderr}`);
    }),
  ]);
  const parsed = JSON.parse(first) as { listening: { grpc: string; http: string }; akName: string };
  return { child, ...parsed.listening, akName: parsed.akName, stderr: () => stderr, stop };
}

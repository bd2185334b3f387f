// Starts a process that outlives the command that started it (the CLI returns while the cluster runs): its own
// session, stdout and stderr to files in the cluster directory, a pid file written before we return so that
// `local down` can always find it.
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import type { AgentCommand } from './agent-command.js';
import { isAlive, sleep, writePidFile } from './owned-process.js';

export interface DetachedOptions {
  readonly command: AgentCommand;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly pidFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function startDetached(options: DetachedOptions): Promise<number> {
  const stdout = await open(options.stdoutFile, 'a');
  const stderr = options.stderrFile === options.stdoutFile ? stdout : await open(options.stderrFile, 'a');
  try {
    const child = spawn(options.command.command, [...options.command.args, ...options.args], {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', stdout.fd, stderr.fd],
      env: { ...process.env, TSS2_LOG: process.env.TSS2_LOG ?? 'all+NONE', ...options.env },
    });
    const pid = await new Promise<number>((resolveSpawn, reject) => {
      child.once('spawn', () => {
        // A spawned child always has a pid; -1 only satisfies the type.
        resolveSpawn(child.pid ?? -1);
      });
      child.once('error', reject);
    });
    child.unref();
    await writePidFile(options.pidFile, pid);
    return pid;
  } finally {
    await stdout.close();
    if (stderr !== stdout) await stderr.close();
  }
}

/** Waits for the first stdout line that parses as JSON with `field`; fails early if the process died. */
export async function waitForJsonLine(
  stdoutFile: string,
  field: string,
  pid: number,
  describe: string,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(stdoutFile, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && field in value) return value as Record<string, unknown>;
      } catch {
        // not a JSON line (yet)
      }
    }
    if (!isAlive(pid)) {
      throw new ConstellationError('LOCAL_PROCESS_EXITED', `expected ${describe} to start, but it exited: see its log`);
    }
    if (Date.now() > deadline) {
      throw new ConstellationError(
        'LOCAL_PROCESS_TIMEOUT',
        `expected ${describe} to report "${field}" within ${String(timeoutMs)} ms, found no such line in ${stdoutFile}`,
      );
    }
    await sleep(20);
  }
}

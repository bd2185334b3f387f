// Processes that a local cluster started, found again through pid files. A pid alone is not proof: after a
// crash or a reboot of the host the number may belong to someone else, so before signalling we read
// /proc/<pid>/cmdline and require a marker only our process has (a path inside this cluster's directory).
import { readFile, rm, writeFile, rename } from 'node:fs/promises';

export interface OwnedProcess {
  readonly pid: number;
}

/** Writes a pid file atomically (temp + rename), so a reader never sees half a number. */
export async function writePidFile(path: string, pid: number): Promise<void> {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, `${String(pid)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 && String(pid) === text.trim() ? pid : undefined;
}

/** The live process of `pidFile` if its command line contains `marker`; undefined for a stale or reused pid. */
export async function findOwnedProcess(pidFile: string, marker: string): Promise<OwnedProcess | undefined> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined) return undefined;
  return (await commandLineContains(pid, marker)) ? { pid } : undefined;
}

export async function commandLineContains(pid: number, marker: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${String(pid)}/cmdline`, 'utf8');
    // A zombie has an empty command line: it is ours no longer (only its parent can reap it).
    return cmdline.split('\0').some((argument) => argument.includes(marker));
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (or is a zombie of another parent). */
export async function terminate(
  process_: OwnedProcess,
  marker: string,
  graceMs = 10_000,
): Promise<'terminated' | 'killed'> {
  signal(process_.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await commandLineContains(process_.pid, marker))) return 'terminated';
    await sleep(25);
  }
  signal(process_.pid, 'SIGKILL');
  while (await commandLineContains(process_.pid, marker)) await sleep(25);
  return 'killed';
}

/** Stops the process of a pid file if it is ours, then removes the pid file. */
export async function stopOwnedProcess(
  pidFile: string,
  marker: string,
  graceMs?: number,
): Promise<'not-running' | 'terminated' | 'killed'> {
  const owned = await findOwnedProcess(pidFile, marker);
  const outcome = owned === undefined ? 'not-running' : await terminate(owned, marker, graceMs);
  await rm(pidFile, { force: true });
  return outcome;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

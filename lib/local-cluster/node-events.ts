// A node's timeline: one JSON line per milestone of the machine (power, boot, reboot) and of its Bootstrapper
// (its stdout lines: serving-init, joined, initialized, …), each tagged with the boot it belongs to. Tests,
// `local status` and `local up` wait on it instead of guessing with sleeps.
import { appendFile, readFile } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { sleep } from './owned-process.js';

export interface NodeEvent {
  readonly at: string;
  /** Power-on count of this machine process tree (1 = first boot after `local up` or `local start`). */
  readonly boot: number;
  readonly source: 'machine' | 'bootstrapper';
  readonly event: string;
  readonly [field: string]: unknown;
}

export async function appendNodeEvent(
  path: string,
  event: { boot: number; source: NodeEvent['source']; event: string } & Record<string, unknown>,
): Promise<void> {
  await appendFile(path, `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
}

/** Every well-formed line of the file; lines a crash cut short are skipped. */
export async function readNodeEvents(path: string): Promise<NodeEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const events: NodeEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && typeof (value as NodeEvent).event === 'string') {
        events.push(value as NodeEvent);
      }
    } catch {
      // a partial line: the writer was killed mid-write
    }
  }
  return events;
}

export interface WaitOptions {
  /** Only events after this many lines count (take `(await readNodeEvents(p)).length` before acting). */
  readonly after?: number;
  readonly timeoutMs?: number;
  /** Called while waiting; a throw aborts the wait (e.g. the machine died). */
  readonly check?: () => Promise<void>;
}

export async function waitForNodeEvent(
  path: string,
  matches: (event: NodeEvent) => boolean,
  description: string,
  options: WaitOptions = {},
): Promise<NodeEvent> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const events = (await readNodeEvents(path)).slice(options.after ?? 0);
    const found = events.find(matches);
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const last = events.at(-1);
      throw new ConstellationError(
        'LOCAL_NODE_TIMEOUT',
        `expected ${description} in ${path} within ${String(options.timeoutMs ?? 30_000)} ms, found ${
          last === undefined
            ? 'no new events'
            : `last event "${last.event}" (${last.source}, boot ${String(last.boot)})`
        }`,
      );
    }
    await options.check?.();
    await sleep(20);
  }
}

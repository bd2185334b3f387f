// The Bootstrapper's milestones as a VM reports them: the guest copies its stdout JSON lines to the second serial
// port, QEMU appends them to milestones.log. The log is untrusted guest output (progress only, never a security
// decision): lines that are not a JSON object with a string `event` are skipped, as are lines cut by a reset.
import { readFile } from 'node:fs/promises';
import { ConstellationError } from '../errors.js';
import { sleep } from '../local-cluster/owned-process.js';

export interface Milestone {
  readonly event: string;
  readonly [field: string]: unknown;
}

export const MAX_MILESTONE_LOG_BYTES = 4 * 1024 * 1024;

export function parseMilestones(text: string): Milestone[] {
  const milestones: Milestone[] = [];
  for (const raw of text.split('\n')) {
    // A serial console adds carriage returns; kernel or firmware noise may precede the JSON on a line.
    const start = raw.indexOf('{');
    if (start < 0) continue;
    try {
      const value: unknown = JSON.parse(raw.slice(start).trim());
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const event = (value as { event?: unknown }).event;
        if (typeof event === 'string' && /^[a-z][a-z0-9-]{0,63}$/.test(event)) milestones.push(value as Milestone);
      }
    } catch {
      // not a milestone
    }
  }
  return milestones;
}

export async function readMilestones(path: string): Promise<Milestone[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return [];
  }
  // A guest flooding its serial port must not exhaust the CLI: the newest part is what matters.
  const text = bytes.subarray(Math.max(0, bytes.length - MAX_MILESTONE_LOG_BYTES)).toString('utf8');
  return parseMilestones(text);
}

export interface MilestoneWait {
  /** Only milestones after this many count (take `(await readMilestones(p)).length` before acting). */
  readonly after?: number;
  readonly timeoutMs: number;
  /** Called while waiting; a throw aborts the wait (e.g. QEMU exited). */
  readonly check?: () => Promise<void>;
}

export async function waitForMilestone(
  path: string,
  events: readonly string[],
  description: string,
  options: MilestoneWait,
): Promise<Milestone> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const seen = (await readMilestones(path)).slice(options.after ?? 0);
    const found = seen.find((milestone) => events.includes(milestone.event));
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const last = seen.at(-1);
      throw new ConstellationError(
        'MINI_NODE_TIMEOUT',
        `Expected ${description} to report ${events.map((event) => `"${event}"`).join(' or ')} in ${path} within ${String(
          Math.round(options.timeoutMs / 1000),
        )} s, found ${last === undefined ? 'no milestone' : `last milestone "${last.event}"`}: see console.log next to it`,
      );
    }
    await options.check?.();
    await sleep(250);
  }
}

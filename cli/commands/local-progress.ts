// Progress lines of the `local` commands on stderr, each with the time since the command started, so a slow
// phase is visible without a profiler: "[  2.3s] worker-1 booted on 127.42.0.12".
import type { OutputStream } from '../cli-io.js';

export function elapsedProgress(
  stream: OutputStream,
  now: () => number = () => performance.now(),
): (message: string) => void {
  const started = now();
  return (message) => {
    const seconds = ((now() - started) / 1000).toFixed(1).padStart(5);
    stream.write(`[${seconds}s] ${message}\n`);
  };
}

/** Records under `name` in `phases` the milliseconds since the previous phase ended (or since this call): for the bench. */
export function phaseTimer(phases: Record<string, number>): (name: string) => void {
  let mark = performance.now();
  return (name) => {
    const now = performance.now();
    phases[name] = now - mark;
    mark = now;
  };
}

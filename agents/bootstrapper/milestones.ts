// Milestones on stdout, one JSON line each (shared contract): the machine supervisor and tests follow the boot
// by them. Logs go to stderr; nothing secret is ever a milestone field.
import type { Milestone, MilestoneSink } from './ports.js';

export function stdoutMilestones(write: (line: string) => void = (line) => process.stdout.write(line)): MilestoneSink {
  return (milestone: Milestone) => {
    write(`${JSON.stringify(milestone)}\n`);
  };
}

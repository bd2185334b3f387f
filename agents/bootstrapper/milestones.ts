// Milestones on stdout, one JSON line each (shared contract): the machine supervisor and tests follow the boot
// by them. Logs go to stderr; nothing secret is ever a milestone field.
import type { Milestone, MilestoneSink } from './ports.js';

/** The milestones after which the node serves (Init, recovery, a rejoin attempt): systemd may call it started. */
const SERVING: ReadonlySet<Milestone['event']> = new Set(['serving-init', 'waiting-for-recovery', 'waiting-to-rejoin']);

const STATUS: Readonly<Record<Milestone['event'], string>> = {
  'serving-init': 'serving Init and trying to join',
  'waiting-for-recovery': 'waiting for recovery or a rejoin',
  'waiting-to-rejoin': 'waiting to rejoin',
  initialized: 'cluster initialised',
  joined: 'joined',
  rejoined: 'rejoined',
  recovered: 'recovered',
  services: 'node running',
};

/**
 * Tells systemd (sd_notify) where the boot is: READY=1 as soon as the node serves, so `systemctl start` returns and
 * `systemctl status` shows the phase (STATUS=) while the node waits, possibly for as long as the operator needs
 * to run `constellation init`. Then passes each milestone on to `sink`.
 */
export function readinessMilestones(
  sink: MilestoneSink,
  notify: (state: Readonly<Record<string, string>>) => Promise<unknown>,
  onError: (error: unknown) => void,
): MilestoneSink {
  let ready = false;
  return (milestone: Milestone) => {
    const state: Record<string, string> = { STATUS: STATUS[milestone.event] };
    if (!ready && (SERVING.has(milestone.event) || milestone.event === 'services')) {
      ready = true;
      state.READY = '1';
    }
    notify(state).catch(onError);
    sink(milestone);
  };
}

export function stdoutMilestones(write: (line: string) => void = (line) => process.stdout.write(line)): MilestoneSink {
  return (milestone: Milestone) => {
    write(`${JSON.stringify(milestone)}\n`);
  };
}

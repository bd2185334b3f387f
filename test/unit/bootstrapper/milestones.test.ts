// Milestones: one JSON line each on stdout, and systemd hears READY=1 once, as soon as the node serves.
import t from 'tap';
import { readinessMilestones, stdoutMilestones } from '../../../agents/bootstrapper/milestones.js';
import type { Milestone } from '../../../agents/bootstrapper/ports.js';

function harness(): {
  sink: ReturnType<typeof readinessMilestones>;
  lines: string[];
  notified: Record<string, string>[];
  errors: unknown[];
  fail: { next: boolean };
} {
  const lines: string[] = [];
  const notified: Record<string, string>[] = [];
  const errors: unknown[] = [];
  const fail = { next: false };
  const sink = readinessMilestones(
    stdoutMilestones((line) => lines.push(line)),
    (state) => {
      notified.push({ ...state });
      if (fail.next) return Promise.reject(new Error('socket gone'));
      return Promise.resolve(true);
    },
    (error) => errors.push(error),
  );
  return { sink, lines, notified, errors, fail };
}

t.test('fresh node: READY=1 with serving-init, STATUS afterwards, every milestone on stdout', (t) => {
  const h = harness();
  const milestones: Milestone[] = [
    { event: 'serving-init', address: '10.42.0.11:9000' },
    { event: 'joined', role: 'worker' },
    { event: 'services', verification: '10.42.0.11:9090' },
  ];
  for (const milestone of milestones) h.sink(milestone);
  t.same(h.notified, [
    { STATUS: 'serving Init and trying to join', READY: '1' },
    { STATUS: 'joined' },
    { STATUS: 'node running' },
  ]);
  t.same(
    h.lines.map((line) => JSON.parse(line) as Milestone),
    milestones,
  );
  t.end();
});

t.test('restarting nodes are ready while they wait: control plane (recovery) and worker (rejoin)', (t) => {
  for (const waiting of [
    { event: 'waiting-for-recovery', address: '10.42.0.11:9999' },
    { event: 'waiting-to-rejoin' },
  ] as const) {
    const h = harness();
    h.sink(waiting);
    h.sink({ event: 'rejoined' });
    t.same(
      h.notified.map((state) => state.READY),
      ['1', undefined],
      waiting.event,
    );
  }
  t.end();
});

t.test('a node that never waited becomes ready with its services; a notify failure is reported, not thrown', (t) => {
  const h = harness();
  h.fail.next = true;
  h.sink({ event: 'services', verification: '10.42.0.11:9090' });
  t.same(h.notified, [{ STATUS: 'node running', READY: '1' }]);
  t.equal(h.lines.length, 1, 'the milestone still reaches stdout');
  setImmediate(() => {
    t.equal(h.errors.length, 1);
    t.end();
  });
});

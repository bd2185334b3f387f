// onShutdown with an injected signal source and exit: the close handler runs once, exit 0 after it, exit 1 when
// it fails or misses the deadline (then the deadline AbortSignal is aborted), and a second signal exits at once.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { onShutdown, type SignalSource } from '../../../lib/systemd/index.js';

function harness() {
  const emitter = new EventEmitter();
  const source = emitter as unknown as SignalSource;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const events: string[] = [];
  return {
    emit: (signal: NodeJS.Signals) => emitter.emit(signal, signal),
    listeners: (signal: NodeJS.Signals) => emitter.listenerCount(signal),
    exited,
    events,
    options: {
      source,
      env: {},
      exit: (code: number) => {
        resolveExit(code);
      },
      report: (event: string) => {
        events.push(event);
      },
    },
  };
}

t.test('SIGTERM runs the close handler once and exits 0', async (t) => {
  const h = harness();
  const calls: NodeJS.Signals[] = [];
  onShutdown(async ({ signal }) => {
    calls.push(signal);
    await Promise.resolve();
  }, h.options);
  h.emit('SIGTERM');
  t.equal(await h.exited, 0);
  t.same(calls, ['SIGTERM']);
  t.same(h.events, []);
});

t.test('a failing close exits 1 and is reported', async (t) => {
  const h = harness();
  onShutdown(() => Promise.reject(new Error('boom')), h.options);
  h.emit('SIGINT');
  t.equal(await h.exited, 1);
  t.same(h.events, ['close-failed']);
});

t.test('a close that misses the deadline is aborted and exits 1', async (t) => {
  const h = harness();
  let aborted: AbortSignal | undefined;
  onShutdown(
    ({ deadline }) => {
      aborted = deadline;
      return new Promise(() => undefined);
    },
    { ...h.options, deadlineMs: 1 },
  );
  // The deadline timer is unref'd (it must not keep an agent alive); a real agent's server keeps the loop alive.
  const keepAlive = setInterval(() => undefined, 1000);
  h.emit('SIGTERM');
  t.equal(await h.exited, 1);
  clearInterval(keepAlive);
  t.equal(aborted?.aborted, true);
  t.same(h.events, ['deadline-passed']);
});

t.test('a second signal while closing exits 1 at once; unregistering removes the listeners', async (t) => {
  const h = harness();
  const dispose = onShutdown(() => new Promise(() => undefined), { ...h.options, deadlineMs: 60_000 });
  h.emit('SIGTERM');
  h.emit('SIGINT');
  t.equal(await h.exited, 1);
  t.same(h.events, ['second-signal']);
  dispose();
  t.equal(h.listeners('SIGTERM') + h.listeners('SIGINT'), 0);
});

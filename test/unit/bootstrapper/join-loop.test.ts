// runJoinLoop: dials control-plane peers except itself, waits for peers to appear, stops on abort.
import t from 'tap';
import { createLogger } from '../../../lib/log/index.js';
import { runJoinLoop } from '../../../agents/bootstrapper/join-loop.js';
import type { NodeMetadata } from '../../../agents/bootstrapper/ports.js';

const logger = createLogger({ name: 'test', level: 'error', write: () => undefined });
const cp = (address: string): NodeMetadata => ({ name: `cp-${address}`, role: 'control-plane', address });
const worker = (address: string): NodeMetadata => ({ name: `w-${address}`, role: 'worker', address });

t.test('dials only other control-plane nodes, retries rounds until one admits', async (t) => {
  let round = 0;
  const peersByRound: NodeMetadata[][] = [[], [worker('10.0.0.3'), cp('10.0.0.2')], [cp('10.0.0.2'), cp('10.0.0.4')]];
  const dialed: string[][] = [];
  const result = await runJoinLoop({
    metadata: { peers: () => Promise.resolve(peersByRound[Math.min(round++, 2)] ?? []) },
    selfAddress: '10.0.0.2',
    attempt: (addresses) => {
      dialed.push(addresses);
      return dialed.length < 2 ? Promise.reject(new Error('not admitted')) : Promise.resolve('ticket');
    },
    signal: new AbortController().signal,
    logger,
    intervalMs: 1,
    joinPort: 30090,
  });
  t.equal(result, 'ticket');
  t.same(dialed, [['10.0.0.4:30090'], ['10.0.0.4:30090']].slice(0, dialed.length));
  t.equal(dialed.length, 2);
});

t.test('abort ends the loop with the abort reason, also while waiting', async (t) => {
  const controller = new AbortController();
  const loop = runJoinLoop({
    metadata: { peers: () => Promise.resolve([]) },
    selfAddress: '10.0.0.2',
    attempt: () => Promise.resolve('never'),
    signal: controller.signal,
    logger,
    intervalMs: 60_000,
  });
  setTimeout(() => {
    controller.abort(new Error('init won'));
  }, 10);
  await t.rejects(loop, { message: 'init won' });
});

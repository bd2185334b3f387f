import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { RATE_LIMITED, RequestLimiter, type RequestLimits } from '../../../agents/verification/request-limiter.js';

const limits: RequestLimits = {
  maxConcurrentPerClient: 2,
  maxConcurrentTotal: 3,
  ratePerSecond: 1,
  burst: 3,
  maxClients: 2,
};
const limited = { constructor: ConstellationError, code: RATE_LIMITED };

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

t.test('per-client concurrency bound, released slots are reusable', (t) => {
  const c = clock();
  const limiter = new RequestLimiter({ ...limits, burst: 100, ratePerSecond: 100 }, c.now);
  const a1 = limiter.acquire('a');
  limiter.acquire('a');
  t.throws(() => limiter.acquire('a'), { ...limited, message: /at most 2 requests in flight per client, found 2/ });
  a1();
  a1();
  t.equal(limiter.inFlight, 1, 'a double release counts once');
  t.doesNotThrow(() => limiter.acquire('a'));
  t.end();
});

t.test('total in-flight cap across clients', (t) => {
  const limiter = new RequestLimiter({ ...limits, burst: 100, maxClients: 10 }, clock().now);
  limiter.acquire('a');
  limiter.acquire('a');
  limiter.acquire('b');
  t.throws(() => limiter.acquire('c'), { ...limited, message: /at most 3 requests in flight in total/ });
  t.end();
});

t.test('token bucket: burst then refill at the rate', (t) => {
  const c = clock();
  const limiter = new RequestLimiter({ ...limits, maxConcurrentPerClient: 100, maxConcurrentTotal: 100 }, c.now);
  for (let i = 0; i < 3; i += 1) limiter.acquire('a')();
  t.throws(() => limiter.acquire('a'), { ...limited, message: /at most 1 requests per second per client/ });
  t.doesNotThrow(() => {
    limiter.acquire('b')();
  }, 'another client has its own bucket');
  c.advance(999);
  t.throws(() => limiter.acquire('a'), limited);
  c.advance(1);
  t.doesNotThrow(() => {
    limiter.acquire('a')();
  }, 'one token after one second');
  t.end();
});

t.test('bounded client table: idle clients are forgotten, busy ones are not', (t) => {
  const c = clock();
  const limiter = new RequestLimiter({ ...limits, maxConcurrentTotal: 100 }, c.now);
  const busy = limiter.acquire('a');
  limiter.acquire('b')();
  t.throws(() => limiter.acquire('c'), { ...limited, message: /at most 2 active clients/ }, 'b has not refilled yet');
  c.advance(10_000);
  t.doesNotThrow(() => {
    limiter.acquire('c')();
  }, 'b refilled and was evicted');
  busy();
  t.end();
});

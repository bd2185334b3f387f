// ActivationLimiter: per-peer token bucket, global in-flight cap, bounded peer table; peer addresses.
import t from 'tap';
import { ConstellationError } from '../../../lib/errors.js';
import { ActivationLimiter, RATE_LIMITED } from '../../../lib/atls/activation-limiter.js';
import { throwsCode } from '../attestation/verify/expect-error.js';

function clock(): { now: () => number; advance(ms: number): void } {
  let ms = 1_000_000;
  return {
    now: () => ms,
    advance: (by) => {
      ms += by;
    },
  };
}

t.test('a peer gets its burst, then one activation per refill interval', (t) => {
  const time = clock();
  const limiter = new ActivationLimiter({ ratePerSecond: 2, burst: 3, maxInFlight: 100, maxPeers: 10 }, time.now);
  for (let i = 0; i < 3; i++) limiter.acquire('10.0.0.1')();
  throwsCode(t, () => limiter.acquire('10.0.0.1'), ConstellationError, RATE_LIMITED, /per second per peer/);
  limiter.acquire('10.0.0.2')();
  time.advance(500);
  limiter.acquire('10.0.0.1')();
  throwsCode(t, () => limiter.acquire('10.0.0.1'), ConstellationError, RATE_LIMITED);
  t.end();
});

t.test('the in-flight cap holds across peers and frees on release (release is idempotent)', (t) => {
  const limiter = new ActivationLimiter({ ratePerSecond: 100, burst: 100, maxInFlight: 2, maxPeers: 10 });
  const first = limiter.acquire('a');
  limiter.acquire('b');
  throwsCode(t, () => limiter.acquire('c'), ConstellationError, RATE_LIMITED, /in flight/);
  first();
  first();
  limiter.acquire('c');
  throwsCode(t, () => limiter.acquire('d'), ConstellationError, RATE_LIMITED, /in flight/);
  t.end();
});

t.test('the peer table is bounded; peers with a full bucket are forgotten first', (t) => {
  const time = clock();
  const limiter = new ActivationLimiter({ ratePerSecond: 1, burst: 1, maxInFlight: 100, maxPeers: 2 }, time.now);
  limiter.acquire('a')();
  limiter.acquire('b')();
  throwsCode(t, () => limiter.acquire('c'), ConstellationError, RATE_LIMITED, /peers/);
  time.advance(1000);
  limiter.acquire('c')();
  t.end();
});

// retryWithBackoff: bounded attempts, exponential ceiling, non-retryable stop, abort.
import t from 'tap';
import { ConstellationError, InputError, PolicyError } from '../../../lib/errors.js';
import { retryWithBackoff } from '../../../lib/rpc/retry.js';
import { rejectsCode } from '../attestation/verify/expect-error.js';

function recorder(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return {
    sleeps,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
}

t.test('succeeds after transient failures, backing off exponentially up to maxMs', async (t) => {
  const { sleeps, sleep } = recorder();
  let calls = 0;
  const result = await retryWithBackoff(
    (attempt) => {
      calls++;
      return attempt < 5 ? Promise.reject(new Error('unavailable')) : Promise.resolve('ok');
    },
    { attempts: 5, baseMs: 100, maxMs: 500, sleep, random: () => 0.999999 },
  );
  t.equal(result, 'ok');
  t.equal(calls, 5);
  t.same(sleeps, [99, 199, 399, 499]);
});

t.test('gives up after the last attempt with the last error', async (t) => {
  const { sleeps, sleep } = recorder();
  await rejectsCode(
    t,
    () =>
      retryWithBackoff((attempt) => Promise.reject(new InputError(`ATTEMPT_${attempt}`, 'no')), {
        attempts: 3,
        baseMs: 1,
        maxMs: 2,
        sleep,
      }),
    InputError,
    'ATTEMPT_3',
  );
  t.equal(sleeps.length, 2);
});

t.test('stops at once on a non-retryable error', async (t) => {
  let calls = 0;
  await rejectsCode(
    t,
    () =>
      retryWithBackoff(
        () => {
          calls++;
          return Promise.reject(new PolicyError('POLICY_VIOLATION', 'no'));
        },
        { attempts: 5, baseMs: 1, maxMs: 1, retryable: (e) => !(e instanceof PolicyError) },
      ),
    PolicyError,
    'POLICY_VIOLATION',
  );
  t.equal(calls, 1);
});

t.test('an abort during the backoff stops retrying', async (t) => {
  const controller = new AbortController();
  let calls = 0;
  const run = retryWithBackoff(
    () => {
      calls++;
      controller.abort();
      return Promise.reject(new Error('unavailable'));
    },
    { attempts: 5, baseMs: 60_000, maxMs: 60_000, signal: controller.signal, random: () => 0.5 },
  );
  await rejectsCode(t, () => run, ConstellationError, 'ABORTED');
  t.equal(calls, 1);
});

t.test('invalid options are refused', async (t) => {
  await rejectsCode(
    t,
    () => retryWithBackoff(() => Promise.resolve(1), { attempts: 0, baseMs: 1, maxMs: 1 }),
    InputError,
    'INVALID_ARGUMENT',
  );
  await rejectsCode(
    t,
    () => retryWithBackoff(() => Promise.resolve(1), { attempts: 1, baseMs: 5, maxMs: 1 }),
    InputError,
    'INVALID_ARGUMENT',
  );
});

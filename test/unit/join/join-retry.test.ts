// The retry loop over JoinService addresses: order, first success wins, final vs transient failures, the
// aggregate error for several addresses, abort (also of a ticket that arrives after it).
import t from 'tap';
import { status } from '@grpc/grpc-js';
import { ConstellationError, InputError, PolicyError, VerificationError } from '../../../lib/errors.js';
import {
  eachServiceUntilAdmitted,
  isRetryableJoinError,
  JOIN_SERVICES_FAILED,
  JoinServicesFailedError,
} from '../../../lib/join/join-retry.js';
import { JOIN_SERVICE_IMAGE_MISMATCH, JOIN_SERVICE_NOT_INITIALIZED } from '../../../lib/join/service-check.js';
import { JOIN_SERVICE_WRONG_CLUSTER } from '../../../lib/join/cluster-check.js';
import { rejectsCode } from '../attestation/verify/expect-error.js';

const unreachable = (): ConstellationError =>
  new ConstellationError('ATLS_UNREACHABLE', 'Expected a TLS server, found none');
const notAttested = (cause: unknown): VerificationError =>
  new VerificationError('ATLS_SERVER_NOT_ATTESTED', 'Expected attested evidence', { cause });
const rejected = (code: status, details: string): ConstellationError =>
  new ConstellationError('JOIN_REJECTED', 'Expected success', { cause: { code, details } });
const fast = { attempts: 3, baseMs: 0, maxMs: 0 };

t.test('transient and final failures', (t) => {
  t.ok(isRetryableJoinError(unreachable()));
  t.ok(isRetryableJoinError(notAttested({ code: status.UNAVAILABLE })));
  t.ok(isRetryableJoinError(notAttested(new PolicyError(JOIN_SERVICE_NOT_INITIALIZED, 'PCR 15 zero'))));
  t.ok(
    isRetryableJoinError(
      notAttested(new VerificationError('AK_ACTIVATION_FAILED', 'x', { cause: { code: status.UNAVAILABLE } })),
    ),
  );
  t.ok(isRetryableJoinError(rejected(status.UNAUTHENTICATED, 'CHALLENGE_EXPIRED: too old')));
  t.notOk(isRetryableJoinError(notAttested(new PolicyError(JOIN_SERVICE_IMAGE_MISMATCH, 'PCR 4'))));
  t.notOk(isRetryableJoinError(notAttested(new VerificationError('AK_ACTIVATION_FAILED', 'another secret'))));
  t.notOk(isRetryableJoinError(new VerificationError(JOIN_SERVICE_WRONG_CLUSTER, 'other cluster')));
  t.notOk(isRetryableJoinError(rejected(status.PERMISSION_DENIED, 'POLICY_VIOLATION: PCR 4')));
  t.notOk(isRetryableJoinError(new Error('plain')));
  t.ok(isRetryableJoinError(rejected(status.RESOURCE_EXHAUSTED, 'RATE_LIMITED: try again later')));
  t.ok(isRetryableJoinError(rejected(status.RESOURCE_EXHAUSTED, 'CHALLENGE_BOOK_FULL: full')));
  t.notOk(isRetryableJoinError(rejected(status.RESOURCE_EXHAUSTED, 'MESSAGE_TOO_LARGE: expected ≤ 1 MiB')));
  t.ok(
    isRetryableJoinError(
      notAttested(
        new VerificationError('AK_ACTIVATION_FAILED', 'x', {
          cause: { code: status.RESOURCE_EXHAUSTED, details: 'RATE_LIMITED: later' },
        }),
      ),
    ),
  );
  t.ok(isRetryableJoinError(new JoinServicesFailedError([{ address: 'a:1', error: unreachable() }])));
  t.end();
});

t.test('addresses are tried in order within an attempt; the first admission wins', async (t) => {
  const tried: string[] = [];
  const attempts: number[] = [];
  const result = await eachServiceUntilAdmitted(
    { addresses: ['a:1', 'b:1', 'c:1'], retry: fast, onAttempt: (attempt) => attempts.push(attempt) },
    (address) => {
      tried.push(address);
      if (address === 'c:1' && tried.length > 3) return Promise.resolve('ticket');
      return Promise.reject(address === 'b:1' ? new VerificationError(JOIN_SERVICE_WRONG_CLUSTER, 'x') : unreachable());
    },
  );
  t.equal(result, 'ticket');
  t.same(tried, ['a:1', 'b:1', 'c:1', 'a:1', 'b:1', 'c:1']);
  t.same(attempts, [1, 2]);
});

t.test(
  'one address: its own error; several: JOIN_SERVICES_FAILED naming each; final errors stop at once',
  async (t) => {
    let calls = 0;
    await rejectsCode(
      t,
      () =>
        eachServiceUntilAdmitted({ addresses: ['a:1'], retry: fast }, () => {
          calls += 1;
          return Promise.reject(new VerificationError(JOIN_SERVICE_WRONG_CLUSTER, 'other cluster'));
        }),
      VerificationError,
      JOIN_SERVICE_WRONG_CLUSTER,
    );
    t.equal(calls, 1, 'a final error is not retried');
    calls = 0;
    await rejectsCode(
      t,
      () =>
        eachServiceUntilAdmitted({ addresses: ['a:1', 'b:1'], retry: fast }, () => {
          calls += 1;
          return Promise.reject(unreachable());
        }),
      JoinServicesFailedError,
      JOIN_SERVICES_FAILED,
      /a:1: ATLS_UNREACHABLE, b:1: ATLS_UNREACHABLE/,
    );
    t.equal(calls, 6, 'transient failures retried for every attempt');
    await rejectsCode(
      t,
      () => eachServiceUntilAdmitted({ addresses: [] }, () => Promise.resolve(1)),
      InputError,
      'INVALID_ARGUMENT',
    );
  },
);

t.test('abort: no further attempt, and a ticket that arrives after the abort is dropped', async (t) => {
  const controller = new AbortController();
  await rejectsCode(
    t,
    () =>
      eachServiceUntilAdmitted({ addresses: ['a:1', 'b:1'], retry: fast, signal: controller.signal }, () => {
        controller.abort();
        return Promise.resolve('late ticket');
      }),
    ConstellationError,
    'ABORTED',
  );
  let calls = 0;
  await rejectsCode(
    t,
    () =>
      eachServiceUntilAdmitted({ addresses: ['a:1'], retry: fast, signal: controller.signal }, () => {
        calls += 1;
        return Promise.resolve('ticket');
      }),
    ConstellationError,
    'ABORTED',
  );
  t.equal(calls, 0);
});

// ChallengeBook: stateless ids, single-use redemption, each failure with its own code.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ConstellationError, InputError, VerificationError } from '../../../lib/errors.js';
import { ChallengeBook, CHALLENGE_ID_LENGTH } from '../../../lib/atls/challenge-book.js';
import { throwsCode } from '../attestation/verify/expect-error.js';

function book(options: { maxRedeemed?: number } = {}): { book: ChallengeBook; clock: { now(): number; ms: number } } {
  const clock = {
    ms: 1_800_000_000_000,
    now(): number {
      return this.ms;
    },
  };
  return { book: new ChallengeBook({ key: randomBytes(32), ttlMs: 60_000, clock, ...options }), clock };
}

const context = Buffer.from('ak-name-000b1234');

t.test('a fresh challenge redeems once', (t) => {
  const { book: b } = book();
  const { id, secret } = b.issue(context);
  t.equal(id.length, CHALLENGE_ID_LENGTH);
  t.doesNotThrow(() => {
    b.redeem(id, context, secret);
  });
  t.equal(b.redeemedCount, 1);
  t.end();
});

t.test('a second redemption is a replay', (t) => {
  const { book: b } = book();
  const { id, secret } = b.issue(context);
  b.redeem(id, context, secret);
  throwsCode(
    t,
    () => {
      b.redeem(id, context, secret);
    },
    VerificationError,
    'CHALLENGE_REPLAYED',
  );
  t.end();
});

t.test('after the ttl the challenge is expired', (t) => {
  const { book: b, clock } = book();
  const { id, secret } = b.issue(context);
  clock.ms += 60_000;
  throwsCode(
    t,
    () => {
      b.redeem(id, context, secret);
    },
    VerificationError,
    'CHALLENGE_EXPIRED',
  );
  t.end();
});

t.test('a tampered id (expiry pushed out) is invalid', (t) => {
  const { book: b } = book();
  const { id, secret } = b.issue(context);
  const tampered = Buffer.from(id);
  tampered[16] = (tampered[16] ?? 0) ^ 0x01;
  throwsCode(
    t,
    () => {
      b.redeem(tampered, context, secret);
    },
    VerificationError,
    'CHALLENGE_INVALID',
    /forged or altered/,
  );
  throwsCode(
    t,
    () => {
      b.redeem(id.subarray(1), context, secret);
    },
    VerificationError,
    'CHALLENGE_INVALID',
  );
  t.end();
});

t.test('an id from another book (other key) is invalid', (t) => {
  const { id, secret } = book().book.issue(context);
  throwsCode(
    t,
    () => {
      book().book.redeem(id, context, secret);
    },
    VerificationError,
    'CHALLENGE_INVALID',
  );
  t.end();
});

t.test('the wrong context is refused', (t) => {
  const { book: b } = book();
  const { id, secret } = b.issue(context);
  throwsCode(
    t,
    () => {
      b.redeem(id, Buffer.from('another-ak'), secret);
    },
    VerificationError,
    'CHALLENGE_INVALID',
  );
  t.end();
});

t.test('the wrong secret is refused and does not use up the challenge', (t) => {
  const { book: b } = book();
  const { id, secret } = b.issue(context);
  throwsCode(
    t,
    () => {
      b.redeem(id, context, randomBytes(32));
    },
    VerificationError,
    'CHALLENGE_INVALID',
    /secret/,
  );
  throwsCode(
    t,
    () => {
      b.redeem(id, context, secret.subarray(0, 16));
    },
    VerificationError,
    'CHALLENGE_INVALID',
  );
  t.doesNotThrow(() => {
    b.redeem(id, context, secret);
  });
  t.end();
});

t.test('redeemed ids are forgotten once expired; the book is bounded', (t) => {
  const { book: b, clock } = book({ maxRedeemed: 2 });
  for (let i = 0; i < 2; i++) {
    const c = b.issue(context);
    b.redeem(c.id, context, c.secret);
  }
  const third = b.issue(context);
  throwsCode(
    t,
    () => {
      b.redeem(third.id, context, third.secret);
    },
    ConstellationError,
    'CHALLENGE_BOOK_FULL',
  );
  clock.ms += 60_000;
  const fourth = b.issue(context);
  t.doesNotThrow(() => {
    b.redeem(fourth.id, context, fourth.secret);
  });
  t.equal(b.redeemedCount, 1);
  t.end();
});

t.test('a bad key or ttl is refused', (t) => {
  throwsCode(t, () => new ChallengeBook({ key: randomBytes(16), ttlMs: 1000 }), InputError, 'INVALID_ARGUMENT');
  throwsCode(t, () => new ChallengeBook({ key: randomBytes(32), ttlMs: 0 }), InputError, 'INVALID_ARGUMENT');
  t.end();
});

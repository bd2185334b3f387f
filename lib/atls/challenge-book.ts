// Stateless challenges with single-use redemption (join protocol, step 1 → 2). The id carries its own
// expiry and MAC, so issuing needs no memory; only redeemed ids are remembered, and only until they expire.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConstellationError, invalidArgument, VerificationError } from '../errors.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface ChallengeBookOptions {
  /** 32-byte HMAC key; random per process unless challenges must survive a restart. */
  readonly key: Buffer;
  readonly ttlMs: number;
  readonly clock?: Clock;
  /** Most redeemed-but-unexpired ids remembered; beyond it redemption is refused (CHALLENGE_BOOK_FULL). */
  readonly maxRedeemed?: number;
}

export interface Challenge {
  readonly id: Buffer;
  readonly secret: Buffer;
}

const RANDOM_BYTES = 16;
const EXPIRY_BYTES = 8;
const MAC_BYTES = 32;
export const CHALLENGE_ID_LENGTH = RANDOM_BYTES + EXPIRY_BYTES + MAC_BYTES;

export class ChallengeBook {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #maxRedeemed: number;
  /** Redeemed id (hex) → expiry ms. */
  readonly #redeemed = new Map<string, number>();

  constructor(options: ChallengeBookOptions) {
    if (!Buffer.isBuffer(options.key) || options.key.length !== 32) {
      throw invalidArgument('key', 'a 32-byte HMAC key', options.key);
    }
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw invalidArgument('ttlMs', 'a positive integer', options.ttlMs);
    }
    this.#key = Buffer.from(options.key);
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock ?? systemClock;
    this.#maxRedeemed = options.maxRedeemed ?? 100_000;
  }

  /** A fresh challenge for `context` (e.g. the AK name): only a holder of the secret can redeem it. */
  issue(context: Buffer): Challenge {
    const head = Buffer.alloc(RANDOM_BYTES + EXPIRY_BYTES);
    randomBytes(RANDOM_BYTES).copy(head);
    head.writeBigUInt64BE(BigInt(this.#clock.now() + this.#ttlMs), RANDOM_BYTES);
    const id = Buffer.concat([head, this.#mac('challenge-id', head)]);
    return { id, secret: this.#secretFor(id, context) };
  }

  /** Checks MAC, expiry, secret and single use, in that order; marks the id used only when all pass. */
  redeem(id: Buffer, context: Buffer, secret: Buffer): void {
    if (!Buffer.isBuffer(id) || id.length !== CHALLENGE_ID_LENGTH) {
      throw new VerificationError(
        'CHALLENGE_INVALID',
        `Expected a ${CHALLENGE_ID_LENGTH}-byte challenge id, found ${id.length} bytes`,
      );
    }
    const head = id.subarray(0, RANDOM_BYTES + EXPIRY_BYTES);
    if (!timingSafeEqual(id.subarray(RANDOM_BYTES + EXPIRY_BYTES), this.#mac('challenge-id', head))) {
      throw new VerificationError(
        'CHALLENGE_INVALID',
        'Expected a challenge id issued by this service, found a forged or altered one',
      );
    }
    const now = this.#clock.now();
    const expiry = Number(head.readBigUInt64BE(RANDOM_BYTES));
    if (now >= expiry) {
      throw new VerificationError(
        'CHALLENGE_EXPIRED',
        `Expected a challenge younger than ${this.#ttlMs} ms, found one expired ${now - expiry} ms ago`,
      );
    }
    const expected = this.#secretFor(id, context);
    if (!Buffer.isBuffer(secret) || secret.length !== expected.length || !timingSafeEqual(secret, expected)) {
      throw new VerificationError(
        'CHALLENGE_INVALID',
        'Expected the activated challenge secret for this context, found another value',
      );
    }
    this.#prune(now);
    const key = id.toString('hex');
    if (this.#redeemed.has(key)) {
      throw new VerificationError('CHALLENGE_REPLAYED', 'Expected a challenge redeemed once, found it redeemed before');
    }
    if (this.#redeemed.size >= this.#maxRedeemed) {
      throw new ConstellationError(
        'CHALLENGE_BOOK_FULL',
        `Expected fewer than ${this.#maxRedeemed} outstanding redemptions, found the book full`,
      );
    }
    this.#redeemed.set(key, expiry);
  }

  /** Number of remembered redemptions (for metrics and tests). */
  get redeemedCount(): number {
    return this.#redeemed.size;
  }

  #prune(now: number): void {
    for (const [key, expiry] of this.#redeemed) if (now >= expiry) this.#redeemed.delete(key);
  }

  #mac(label: string, ...parts: Buffer[]): Buffer {
    const hmac = createHmac('sha256', this.#key).update(label);
    for (const part of parts) hmac.update(part);
    return hmac.digest();
  }

  #secretFor(id: Buffer, context: Buffer): Buffer {
    // Length-prefix id so (id, context) cannot be re-split.
    const length = Buffer.alloc(4);
    length.writeUInt32BE(id.length);
    return this.#mac('secret', length, id, context);
  }
}

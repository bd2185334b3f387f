// Bounds what an unauthenticated peer can make the server's TPM do through ActivateCredential: every call
// is a TPM2_ActivateCredential (an RSA decryption in the TPM, serialised with everything else the TPM does).
// Per peer address a token bucket, plus a global in-flight cap; the peer table is bounded.
import { ConstellationError } from '../errors.js';

/** Maps to gRPC RESOURCE_EXHAUSTED (lib/rpc statusFor). */
export const RATE_LIMITED = 'RATE_LIMITED';

export interface ActivationLimits {
  /** Tokens refilled per second per peer. */
  readonly ratePerSecond: number;
  /** Bucket size per peer: a verifier needs one activation per connection. */
  readonly burst: number;
  readonly maxInFlight: number;
  readonly maxPeers: number;
}

export const DEFAULT_ACTIVATION_LIMITS: ActivationLimits = {
  ratePerSecond: 5,
  burst: 20,
  maxInFlight: 16,
  maxPeers: 4096,
};

interface Bucket {
  tokens: number;
  refilledAt: number;
}

export class ActivationLimiter {
  readonly #limits: ActivationLimits;
  readonly #now: () => number;
  readonly #peers = new Map<string, Bucket>();
  #inFlight = 0;

  constructor(limits: ActivationLimits = DEFAULT_ACTIVATION_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Admits one activation for `peer` (its address) or throws RATE_LIMITED; call the returned release after. */
  acquire(peer: string): () => void {
    const limits = this.#limits;
    if (this.#inFlight >= limits.maxInFlight) {
      throw limited(`at most ${limits.maxInFlight} activations in flight, found ${this.#inFlight}`);
    }
    const bucket = this.#bucketOf(peer);
    this.#refill(bucket);
    if (bucket.tokens < 1) {
      throw limited(`at most ${limits.ratePerSecond} activations per second per peer (burst ${limits.burst})`);
    }
    bucket.tokens -= 1;
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
    };
  }

  #bucketOf(peer: string): Bucket {
    const known = this.#peers.get(peer);
    if (known !== undefined) return known;
    if (this.#peers.size >= this.#limits.maxPeers) {
      // Forgetting a peer whose bucket refilled loses no budget.
      for (const [key, bucket] of this.#peers) {
        this.#refill(bucket);
        if (bucket.tokens >= this.#limits.burst) this.#peers.delete(key);
      }
    }
    if (this.#peers.size >= this.#limits.maxPeers) {
      throw limited(`at most ${this.#limits.maxPeers} peers activating at once, found ${this.#peers.size}`);
    }
    const bucket = { tokens: this.#limits.burst, refilledAt: this.#now() };
    this.#peers.set(peer, bucket);
    return bucket;
  }

  #refill(bucket: Bucket): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - bucket.refilledAt) / 1000;
    bucket.tokens = Math.min(this.#limits.burst, bucket.tokens + elapsed * this.#limits.ratePerSecond);
    bucket.refilledAt = now;
  }
}

function limited(detail: string): ConstellationError {
  return new ConstellationError(RATE_LIMITED, `Expected ${detail}: try again later`);
}

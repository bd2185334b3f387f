// Bounds what one unauthenticated client can make the TPM do (DESIGN §2.8): every request costs a quote, and the
// TPM serialises them, so one client must not starve the others. Per client: at most `maxConcurrent` requests in
// flight and a token bucket of `burst` requests refilled at `ratePerSecond`. A global in-flight cap bounds the
// queue in front of the TPM no matter how many clients there are. The client table is bounded too.
import { ConstellationError } from '../../lib/errors.js';

/** Thrown when a client is over its budget; maps to gRPC RESOURCE_EXHAUSTED / HTTP 429. */
export const RATE_LIMITED = 'RATE_LIMITED';

export interface RequestLimits {
  readonly maxConcurrentPerClient: number;
  readonly maxConcurrentTotal: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Most clients tracked at once; idle, full-bucket entries are dropped first. */
  readonly maxClients: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  maxConcurrentPerClient: 32,
  maxConcurrentTotal: 128,
  ratePerSecond: 50,
  burst: 100,
  maxClients: 4096,
};

interface ClientState {
  inFlight: number;
  tokens: number;
  refilledAt: number;
}

export class RequestLimiter {
  readonly #limits: RequestLimits;
  readonly #now: () => number;
  readonly #clients = new Map<string, ClientState>();
  #inFlight = 0;

  constructor(limits: RequestLimits = DEFAULT_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Admits one request of `client` (its address) or throws RATE_LIMITED; call the returned release when done. */
  acquire(client: string): () => void {
    const limits = this.#limits;
    if (this.#inFlight >= limits.maxConcurrentTotal) {
      throw limited(`at most ${limits.maxConcurrentTotal} requests in flight in total, found ${this.#inFlight}`);
    }
    const state = this.#stateOf(client);
    this.#refill(state);
    if (state.inFlight >= limits.maxConcurrentPerClient) {
      throw limited(`at most ${limits.maxConcurrentPerClient} requests in flight per client, found ${state.inFlight}`);
    }
    if (state.tokens < 1) {
      throw limited(`at most ${limits.ratePerSecond} requests per second per client (burst ${limits.burst})`);
    }
    state.tokens -= 1;
    state.inFlight += 1;
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.inFlight -= 1;
      this.#inFlight -= 1;
    };
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  #stateOf(client: string): ClientState {
    const known = this.#clients.get(client);
    if (known !== undefined) return known;
    if (this.#clients.size >= this.#limits.maxClients) this.#evictIdle();
    if (this.#clients.size >= this.#limits.maxClients) {
      throw limited(`at most ${this.#limits.maxClients} active clients, found ${this.#clients.size}`);
    }
    const state = { inFlight: 0, tokens: this.#limits.burst, refilledAt: this.#now() };
    this.#clients.set(client, state);
    return state;
  }

  #refill(state: ClientState): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - state.refilledAt) / 1000;
    state.tokens = Math.min(this.#limits.burst, state.tokens + elapsed * this.#limits.ratePerSecond);
    state.refilledAt = now;
  }

  /** Drops clients with nothing in flight and a full bucket: forgetting them loses no budget. */
  #evictIdle(): void {
    for (const [client, state] of this.#clients) {
      this.#refill(state);
      if (state.inFlight === 0 && state.tokens >= this.#limits.burst) this.#clients.delete(client);
    }
  }
}

function limited(detail: string): ConstellationError {
  return new ConstellationError(RATE_LIMITED, `Expected ${detail}: try again later`);
}

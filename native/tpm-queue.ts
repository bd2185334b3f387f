// Keeps one TPM command in flight per context. ESAPI contexts are single-threaded (the C++ mutex enforces it),
// but waiting on that mutex would park libuv pool threads that fs and crypto share; queueing here costs nothing.

export interface QueueStats {
  /** Operations waiting for their turn. */
  readonly queued: number;
  /** Operations currently running on the TPM (0 or 1). */
  readonly inFlight: number;
}

export class TpmQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #inFlight = 0;

  /** Runs `operation` after every operation queued before it has settled. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(async () => {
      this.#queued--;
      this.#inFlight++;
      try {
        return await operation();
      } finally {
        this.#inFlight--;
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  stats(): QueueStats {
    return { queued: this.#queued, inFlight: this.#inFlight };
  }
}

// Retries an async operation with exponential backoff and full jitter, e.g. a joining node waiting for the
// join service to come up. Stops early when aborted.
import { ConstellationError, invalidArgument } from '../errors.js';

export interface RetryOptions {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly signal?: AbortSignal;
  /** Return false to stop retrying (e.g. for a policy rejection, which will not heal). Default: retry all. */
  readonly retryable?: (error: unknown) => boolean;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests; default Math.random. */
  readonly random?: () => number;
}

export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts, baseMs, maxMs, signal } = options;
  if (!Number.isSafeInteger(attempts) || attempts < 1) throw invalidArgument('attempts', 'an integer >= 1', attempts);
  if (!(baseMs >= 0) || !(maxMs >= baseMs)) throw invalidArgument('maxMs', `a number >= baseMs (${baseMs})`, maxMs);
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const retryable = options.retryable ?? (() => true);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      if (attempt === attempts || !retryable(error)) break;
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      await sleep(Math.floor(random() * ceiling), signal);
    }
  }
  throw lastError;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ConstellationError('ABORTED', 'Expected to keep retrying, found the operation aborted');
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ConstellationError('ABORTED', 'Expected to keep retrying, found the operation aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

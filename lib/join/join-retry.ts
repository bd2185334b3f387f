// Which join failures heal with time, and the retry loop over every JoinService address. The addresses come
// from the untrusted metadata service, so one unreachable, rogue or foreign service must not stop a node:
// each attempt tries them all in turn and backs off only when every one failed.
import { status, type ServiceError } from '@grpc/grpc-js';
import { ConstellationError, invalidArgument } from '../errors.js';
import { ATLS_SERVER_NOT_ATTESTED, ATLS_UNREACHABLE, AK_ACTIVATION_FAILED } from '../atls/index.js';
import { retryWithBackoff } from '../rpc/index.js';
import { JOIN_SERVICE_NOT_INITIALIZED } from './service-check.js';
import { JOIN_REJECTED } from './unary-call.js';

export interface JoinRetry {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_JOIN_RETRY: JoinRetry = { attempts: 10, baseMs: 200, maxMs: 5000 };

/** Every address failed in one attempt; `errors` has one entry per address, in order. */
export const JOIN_SERVICES_FAILED = 'JOIN_SERVICES_FAILED';

export class JoinServicesFailedError extends ConstellationError {
  readonly errors: readonly { readonly address: string; readonly error: unknown }[];
  constructor(errors: readonly { readonly address: string; readonly error: unknown }[]) {
    const summary = errors
      .map(({ address, error }) => `${address}: ${error instanceof ConstellationError ? error.code : 'error'}`)
      .join(', ');
    super(JOIN_SERVICES_FAILED, `Expected one of ${errors.length} JoinServices to admit this node, found ${summary}`, {
      cause: errors.at(-1)?.error,
    });
    this.errors = errors;
  }
}

function isTransientStatus(cause: unknown): boolean {
  const { code, details } = (cause ?? {}) as Partial<ServiceError>;
  if (code === status.RESOURCE_EXHAUSTED) {
    // A busy service (rate limit, full challenge book) heals; an oversized message does not.
    return /^(RATE_LIMITED|CHALLENGE_BOOK_FULL):/.test(details ?? '');
  }
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.CANCELLED;
}

/**
 * Transient failures: the service is down, restarting, not yet part of an initialised cluster, forgot our
 * challenge (its key changed) or could not activate in time. Refusals by evidence or policy are final.
 */
export function isRetryableJoinError(error: unknown): boolean {
  if (error instanceof JoinServicesFailedError) return error.errors.some(({ error: e }) => isRetryableJoinError(e));
  if (!(error instanceof ConstellationError)) return false;
  if (error.code === ATLS_UNREACHABLE) return true;
  const cause: unknown = error.cause;
  if (error.code === ATLS_SERVER_NOT_ATTESTED) {
    if (cause instanceof ConstellationError) {
      if (cause.code === JOIN_SERVICE_NOT_INITIALIZED) return true;
      return cause.code === AK_ACTIVATION_FAILED && isTransientStatus(cause.cause);
    }
    return isTransientStatus(cause);
  }
  if (error.code === JOIN_REJECTED) {
    const grpcError = cause as Partial<ServiceError> | undefined;
    if (isTransientStatus(cause)) return true;
    return grpcError?.code === status.UNAUTHENTICATED && /^CHALLENGE_(INVALID|EXPIRED)/.test(grpcError.details ?? '');
  }
  return false;
}

/** A function, not a property read, so TypeScript does not assume it stays false across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export interface ServiceRoundsOptions {
  readonly addresses: readonly string[];
  readonly retry?: JoinRetry;
  readonly signal?: AbortSignal;
  /** Called before each attempt with the previous attempt's error (for logs and tests). */
  readonly onAttempt?: (attempt: number, previousError: unknown) => void;
}

/**
 * Runs `round(address)` for each address in turn until one succeeds; repeats with backoff while the failures
 * are retryable. One address: its own error is thrown; several: JoinServicesFailedError. Abortable.
 */
export async function eachServiceUntilAdmitted<T>(
  options: ServiceRoundsOptions,
  round: (address: string) => Promise<T>,
): Promise<T> {
  const { addresses, signal } = options;
  if (addresses.length === 0) throw invalidArgument('addresses', 'at least one JoinService address', addresses);
  let previous: unknown;
  return retryWithBackoff(
    async (attempt) => {
      options.onAttempt?.(attempt, previous);
      const errors: { address: string; error: unknown }[] = [];
      for (const address of addresses) {
        if (isAborted(signal)) break;
        try {
          const admitted = await round(address);
          // Whoever aborted (e.g. Init won the race) decided already: a late ticket is dropped.
          if (isAborted(signal)) break;
          return admitted;
        } catch (error) {
          errors.push({ address, error });
        }
      }
      previous = errors.length === 1 ? errors[0]?.error : new JoinServicesFailedError(errors);
      if (isAborted(signal)) {
        // Not retryable: ends the loop at once.
        previous = new ConstellationError('ABORTED', 'Expected to keep joining, found the operation aborted');
      }
      throw previous;
    },
    {
      ...(options.retry ?? DEFAULT_JOIN_RETRY),
      retryable: isRetryableJoinError,
      ...(signal === undefined ? {} : { signal }),
    },
  );
}

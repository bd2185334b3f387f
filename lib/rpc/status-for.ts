// One mapping from our error hierarchy to gRPC status codes, so every service answers the same way and
// never leaks an unexpected error's message (it may carry paths or internal state) to a peer.
import { status } from '@grpc/grpc-js';
import { ConstellationError, InputError, PolicyError, TpmError, VerificationError } from '../errors.js';

export interface RpcStatus {
  readonly code: status;
  readonly details: string;
}

/** Specific error codes whose status differs from their class's default. */
export const STATUS_BY_ERROR_CODE: Readonly<Record<string, status>> = {
  CHALLENGE_REPLAYED: status.UNAUTHENTICATED,
  CHALLENGE_EXPIRED: status.UNAUTHENTICATED,
  CHALLENGE_INVALID: status.UNAUTHENTICATED,
  NO_MASTER_SECRET: status.FAILED_PRECONDITION,
  MASTER_SECRET_EXISTS: status.ALREADY_EXISTS,
  ALREADY_INITIALIZED: status.FAILED_PRECONDITION,
  POLICY_VERSION_NOT_NEWER: status.FAILED_PRECONDITION,
  MESSAGE_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  POLICY_UPDATE_SIGNATURE_INVALID: status.PERMISSION_DENIED,
  CHALLENGE_BOOK_FULL: status.RESOURCE_EXHAUSTED,
  METHOD_NOT_AUTHORIZED: status.PERMISSION_DENIED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
};

/** Shown to peers for any error we did not throw on purpose. */
export const INTERNAL_DETAILS = 'internal error';

/** Maps an error to the status a peer sees. Our own errors keep "CODE: message"; others become INTERNAL. */
export function statusFor(error: unknown): RpcStatus {
  if (!(error instanceof ConstellationError)) return { code: status.INTERNAL, details: INTERNAL_DETAILS };
  const details = `${error.code}: ${error.message}`;
  const specific = STATUS_BY_ERROR_CODE[error.code];
  if (specific !== undefined) return { code: specific, details };
  if (error instanceof InputError) return { code: status.INVALID_ARGUMENT, details };
  if (error instanceof VerificationError) return { code: status.UNAUTHENTICATED, details };
  if (error instanceof PolicyError) return { code: status.PERMISSION_DENIED, details };
  // A TPM failure is ours, not the peer's: say which code, not the TSS2 detail.
  if (error instanceof TpmError) return { code: status.UNAVAILABLE, details: `${error.code}: TPM operation failed` };
  return { code: status.INTERNAL, details: INTERNAL_DETAILS };
}

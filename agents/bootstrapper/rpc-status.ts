// gRPC statuses of the Bootstrapper's own refusals, on top of the suite-wide table (lib/rpc statusFor): a wrong
// init secret is PERMISSION_DENIED, a node already being activated or a rejected recovery key FAILED_PRECONDITION.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { statusFor, type RpcStatus } from '../../lib/rpc/index.js';
import { ConstellationError } from '../../lib/errors.js';

const BOOTSTRAPPER_STATUS: Readonly<Record<string, status>> = {
  INIT_SECRET_INVALID: status.PERMISSION_DENIED,
  NODE_ALREADY_ACTIVATING: status.FAILED_PRECONDITION,
  RECOVERY_KEY_REJECTED: status.FAILED_PRECONDITION,
  NODE_ALREADY_RECOVERED: status.FAILED_PRECONDITION,
  METADATA_UNREACHABLE: status.UNAVAILABLE,
  METADATA_INVALID: status.UNAVAILABLE,
};

export function bootstrapperStatus(error: unknown): RpcStatus {
  if (error instanceof ConstellationError) {
    const code = BOOTSTRAPPER_STATUS[error.code];
    if (code !== undefined) return { code, details: `${error.code}: ${error.message}` };
  }
  return statusFor(error);
}

export function toBootstrapperServiceError(error: unknown): Partial<ServiceError> {
  const { code, details } = bootstrapperStatus(error);
  return { code, details, metadata: new Metadata() };
}

/** The code and message a caller may see for an error: ours as they are, anything else as INTERNAL. */
export function publicFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ConstellationError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: 'internal error (see the node log)' };
}

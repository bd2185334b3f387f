// Promise form of a grpc-js unary call whose failure becomes a typed error naming the method and status.
import { status, type ServiceError } from '@grpc/grpc-js';
import { ConstellationError } from '../errors.js';

export const JOIN_REJECTED = 'JOIN_REJECTED';

/** A refused or failed JoinService call; `status` is the gRPC code, `cause` the ServiceError. */
export class JoinRejectedError extends ConstellationError {
  readonly status: status;
  constructor(method: string, error: ServiceError) {
    super(JOIN_REJECTED, `Expected ${method} to succeed, found ${status[error.code]}: ${error.details}`, {
      cause: error,
    });
    this.status = error.code;
  }
}

export function callUnary<T>(
  method: string,
  start: (callback: (error: ServiceError | null, response: T) => void) => unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, response) => {
      if (error === null) resolve(response);
      else reject(new JoinRejectedError(method, error));
    });
  });
}

// Adapts async functions to grpc-js unary handlers, mapping thrown errors through statusFor.
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { assertWithinLimit } from './message-limits.js';
import { statusFor } from './status-for.js';

export type AsyncUnary<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/** Called with every error a handler threw, before mapping (for audit logging). */
export type HandlerErrorObserver = (error: unknown, method: string) => void;

export function unaryHandler<Req, Res>(
  fn: AsyncUnary<Req, Res>,
  onError?: HandlerErrorObserver,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    // Through a promise so a handler that throws synchronously is mapped too, not crashing the server.
    Promise.resolve()
      .then(() => {
        // A request above its method's limit (withMessageLimits) is refused here, through onError.
        assertWithinLimit(call.request);
        return fn(call.request, call);
      })
      .then(
        (response) => {
          callback(null, response);
        },
        (error: unknown) => {
          onError?.(error, call.getPath());
          callback(toServiceError(error));
        },
      );
  };
}

export function toServiceError(error: unknown): Partial<ServiceError> {
  const { code, details } = statusFor(error);
  return { code, details, metadata: new Metadata() };
}

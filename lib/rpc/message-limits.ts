// Per-method request size limits enforced by our code, so an oversized message reaches a handler that can
// audit the refusal. grpc-js checks its own `grpc.max_receive_message_length` internally and answers
// RESOURCE_EXHAUSTED without passing through any handler or interceptor: that limit stays as a memory
// backstop set above ours (createServer), and only messages above the backstop are refused unaudited.
//
// How: the service definition's requestDeserialize is wrapped; a message above its method's limit is not
// decoded but replaced by an OversizedRequest marker, which unaryHandler turns into MessageTooLargeError
// (→ RESOURCE_EXHAUSTED "MESSAGE_TOO_LARGE: …") through the handler's error observer.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { InputError, invalidArgument } from '../errors.js';

export const MESSAGE_TOO_LARGE = 'MESSAGE_TOO_LARGE';

/** The refusal a peer sees (RESOURCE_EXHAUSTED through statusFor) and an audit line records. */
export class MessageTooLargeError extends InputError {
  constructor(
    /** Full method path, e.g. "/constellation.join.v1.JoinService/IssueJoinTicket". */
    readonly method: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(MESSAGE_TOO_LARGE, `${method} expected a request of ≤ ${limit} bytes, found ${bytes}`);
  }
}

/** Stands in for a request that was too large to decode. */
export class OversizedRequest {
  constructor(
    readonly method: string,
    readonly bytes: number,
    readonly limit: number,
  ) {}

  error(): MessageTooLargeError {
    return new MessageTooLargeError(this.method, this.bytes, this.limit);
  }
}

/** Throws MessageTooLargeError if `request` is the marker (for handlers not built with unaryHandler). */
export function assertWithinLimit(request: unknown): void {
  if (request instanceof OversizedRequest) throw request.error();
}

export interface MessageLimits<S> {
  /** Limit of every method not named in `perMethod`. */
  readonly defaultBytes: number;
  /** By the definition's method key, e.g. { getChallenge: 64 * 1024 }. */
  readonly perMethod?: Partial<Record<keyof S & string, number>>;
}

function checkLimit(name: string, bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw invalidArgument(name, 'an integer >= 1', bytes);
  return bytes;
}

/**
 * A copy of `definition` whose request deserializers refuse to decode a message above its method's limit.
 * Handlers must be built with unaryHandler (or call assertWithinLimit) so the marker becomes a refusal.
 */
export function withMessageLimits<S extends ServiceDefinition>(definition: S, limits: MessageLimits<S>): S {
  checkLimit('defaultBytes', limits.defaultBytes);
  const wrapped: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const perMethod = limits.perMethod as Readonly<Record<string, number | undefined>> | undefined;
    const limit = checkLimit(`perMethod.${key}`, perMethod?.[key] ?? limits.defaultBytes);
    const decode = method.requestDeserialize;
    wrapped[key] = {
      ...method,
      requestDeserialize: (value: Buffer): unknown =>
        value.length > limit ? new OversizedRequest(method.path, value.length, limit) : decode(value),
    };
  }
  return wrapped as unknown as S;
}

type UnaryImplementation = (call: { readonly request: unknown }, callback: never) => void;

/**
 * Wraps every handler of a service implementation so `observe` sees each oversized request (e.g. to write an
 * audit line) before the handler refuses it. Works with handlers from any module, as long as they refuse
 * the marker (unaryHandler does).
 */
export function observeOversized<H extends object>(handlers: H, observe: (error: MessageTooLargeError) => void): H {
  const wrapped: Record<string, UnaryImplementation> = {};
  for (const [key, handler] of Object.entries(handlers) as [string, UnaryImplementation][]) {
    wrapped[key] = (call, callback) => {
      if (call.request instanceof OversizedRequest) observe(call.request.error());
      handler(call, callback);
    };
  }
  return wrapped as unknown as H;
}

// A grpc-js server with an explicit message size limit: peers are untrusted, so the limit is a decision
// per service (4 MiB default), not grpc-js's implicit default. grpc-js enforces it before any handler runs,
// so its refusals cannot be audited: services that audit refusals set per-method limits with
// withMessageLimits (message-limits.ts) and use this one as the memory backstop above them.
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { invalidArgument } from '../errors.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The JoinService's audited per-method limit (withMessageLimits); join requests are a few KiB. */
export const JOIN_MAX_MESSAGE_BYTES = 1024 * 1024;
/** grpc-js's hard limit on the JoinService: a request between the two limits is refused AND audited. */
export const JOIN_BACKSTOP_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface ServerOptions {
  /** grpc-js's own receive and send limit (refused unaudited, before any handler). */
  readonly maxMessageBytes?: number;
}

export function createServer(options: ServerOptions = {}): Server {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1024) {
    throw invalidArgument('maxMessageBytes', 'an integer >= 1024', maxMessageBytes);
  }
  return new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
}

/** Binds to `address` (e.g. "127.0.0.1:0") and resolves with the port actually bound. */
export function bindServer(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(error);
      else resolve(port);
    });
  });
}

/** Graceful shutdown, forced after `deadlineMs` so a hanging stream cannot block process exit. */
export function shutdownServer(server: Server, deadlineMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, deadlineMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

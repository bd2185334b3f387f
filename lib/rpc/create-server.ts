// A grpc-js server with explicit message size limits: peers are untrusted, so the limit is a decision
// per service (4 MiB default; the join service takes 1 MiB), not grpc-js's implicit default.
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { invalidArgument } from '../errors.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const JOIN_MAX_MESSAGE_BYTES = 1024 * 1024;

export interface ServerOptions {
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

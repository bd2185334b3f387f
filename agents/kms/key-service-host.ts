// Hosts the KMS KeyService: plain gRPC on a loopback address. main.ts starts it with the master secret file
// (which may appear after start); the Bootstrapper starts it in-process with the master secret it holds.
import { ServerCredentials } from '@grpc/grpc-js';
import { InputError } from '../../lib/errors.js';
import { formatListenAddress, isLoopback, type ListenAddress } from '../../lib/config/index.js';
import type { MasterSecret } from '../../lib/crypto/index.js';
import type { Logger } from '../../lib/log/index.js';
import { bindServer, createServer, shutdownServer, withMessageLimits } from '../../lib/rpc/index.js';
import { KeyServiceService } from '../../proto/gen/kms.js';
import { keyService, type MasterSecretProvider } from './key-service.js';

/** Requests are an id and a length: 64 KiB is far more than any legitimate one. */
export const KMS_MAX_MESSAGE_BYTES = 64 * 1024;

export const KMS_LISTEN_NOT_LOOPBACK = 'KMS_LISTEN_NOT_LOOPBACK';

export type KeyServiceOptions = {
  /** Loopback only: the KeyService has no TLS and hands out keys to whoever asks. */
  readonly listen: ListenAddress;
  readonly logger: Logger;
} & ({ readonly masterSecret: MasterSecret } | { readonly secrets: MasterSecretProvider });

export interface RunningKeyService {
  /** The bound address, e.g. "127.0.0.1:43117". */
  readonly address: string;
  /** Graceful stop, forced once `deadline` aborts (or after 5 s). */
  close(deadline?: AbortSignal): Promise<void>;
}

export async function startKeyService(options: KeyServiceOptions): Promise<RunningKeyService> {
  if (!isLoopback(options.listen.host)) {
    throw new InputError(
      KMS_LISTEN_NOT_LOOPBACK,
      `KMS listen host expected a loopback address (127.0.0.0/8, ::1 or localhost) because the KeyService has no TLS, found "${options.listen.host}"`,
    );
  }
  const secrets: MasterSecretProvider = 'masterSecret' in options ? fixedSecret(options.masterSecret) : options.secrets;
  const server = createServer({ maxMessageBytes: KMS_MAX_MESSAGE_BYTES });
  server.addService(
    withMessageLimits(KeyServiceService, { defaultBytes: KMS_MAX_MESSAGE_BYTES }),
    keyService(secrets, options.logger),
  );
  const port = await bindServer(server, formatListenAddress(options.listen), ServerCredentials.createInsecure());
  const address = formatListenAddress({ host: options.listen.host, port });
  return {
    address,
    close: async (deadline) => {
      const onAbort = (): void => {
        server.forceShutdown();
      };
      deadline?.addEventListener('abort', onAbort, { once: true });
      await shutdownServer(server);
      deadline?.removeEventListener('abort', onAbort);
    },
  };
}

function fixedSecret(secret: MasterSecret): MasterSecretProvider {
  const held = Promise.resolve(secret);
  return { get: () => held };
}

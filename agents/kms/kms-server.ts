// The KMS server: KeyService over plain gRPC on a loopback address.
import { ServerCredentials } from '@grpc/grpc-js';
import { formatListenAddress, type ListenAddress } from '../../lib/config/index.js';
import type { Logger } from '../../lib/log/index.js';
import { bindServer, createServer, shutdownServer } from '../../lib/rpc/index.js';
import { KeyServiceService } from '../../proto/gen/kms.js';
import { keyService } from './key-service.js';
import type { MasterSecretSource } from './master-secret-source.js';

/** Requests are an id and a length: 64 KiB is far more than any legitimate one. */
export const KMS_MAX_MESSAGE_BYTES = 64 * 1024;

export interface RunningKms {
  /** The bound address, e.g. "127.0.0.1:43117". */
  readonly address: string;
  /** Graceful stop, forced once `deadline` aborts. */
  close(deadline?: AbortSignal): Promise<void>;
}

export async function startKms(options: {
  listen: ListenAddress;
  secrets: MasterSecretSource;
  logger: Logger;
}): Promise<RunningKms> {
  const server = createServer({ maxMessageBytes: KMS_MAX_MESSAGE_BYTES });
  server.addService(KeyServiceService, keyService(options.secrets, options.logger));
  const port = await bindServer(server, formatListenAddress(options.listen), ServerCredentials.createInsecure());
  const address = formatListenAddress({ host: options.listen.host, port });
  return {
    address,
    close: async (deadline) => {
      const onAbort = () => {
        server.forceShutdown();
      };
      deadline?.addEventListener('abort', onAbort, { once: true });
      await shutdownServer(server);
      deadline?.removeEventListener('abort', onAbort);
    },
  };
}

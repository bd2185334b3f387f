// A gRPC server for one of the Bootstrapper's services (Init or Recover) with the Attester on the same ephemeral
// TLS identity (lib/atls README): the caller attests this node on the very key it then sends secrets to.
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { attesterService, createAttestedIdentity, serverCredentials } from '../../lib/atls/index.js';
import { formatListenAddress } from '../../lib/config/index.js';
import { bindServer, createServer, shutdownServer } from '../../lib/rpc/index.js';
import { AttesterService } from '../../proto/gen/atls.js';
import type { NodeAttestation } from './node-attestation.js';
import type { ListenOn } from './ports.js';

export interface AttestedServer {
  readonly address: string;
  /** Graceful: waits for calls in flight (an Init streaming its last message), forced after `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startAttestedServer(options: {
  readonly listen: ListenOn;
  readonly service: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  readonly attestation: NodeAttestation;
}): Promise<AttestedServer> {
  const identity = await createAttestedIdentity({ hosts: ['localhost', options.listen.host] });
  const server = createServer();
  server.addService(options.service, options.implementation);
  server.addService(
    AttesterService,
    attesterService((nonce, binding) => options.attestation.issue(nonce, binding), identity, {
      activate: (blob, secret) => options.attestation.activate(blob, secret),
    }),
  );
  const port = await bindServer(server, formatListenAddress(options.listen), serverCredentials(identity));
  const address = formatListenAddress({ host: options.listen.host, port });
  let closing: Promise<void> | undefined;
  return {
    address,
    close: (deadlineMs = 5000) => (closing ??= shutdownServer(server, deadlineMs)),
  };
}

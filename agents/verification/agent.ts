// Assembles the running agent from its parts: attestation source (owns the TPM), limiter, gRPC and HTTP
// listeners. Returns the bound addresses and one close() that stops listening, drains, then releases the TPM.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ServerCredentials } from '@grpc/grpc-js';
import { createAttestedIdentity, serverCredentials } from '../../lib/atls/attested-identity.js';
import { AttesterService } from '../../proto/gen/atls.js';
import { limitedAttester } from './attester.js';
import type { Logger } from '../../lib/log/index.js';
import { bindServer, createServer as createGrpcServer, shutdownServer } from '../../lib/rpc/create-server.js';
import type { AttestationSource } from './attestation-source.js';
import type { GrpcTransport } from './config.js';
import { VerificationServiceService, verificationServer } from './grpc-service.js';
import { createHttpService } from './http-service.js';
import { RequestLimiter, type RequestLimits } from './request-limiter.js';

/** Requests are a nonce in and one document out; 64 KiB in is plenty, documents with an event log are larger. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface AgentOptions {
  readonly source: AttestationSource;
  readonly logger: Logger;
  readonly grpcListen: string;
  readonly grpcTransport: GrpcTransport;
  readonly httpListen: string;
  readonly limits?: RequestLimits;
}

export interface RunningAgent {
  readonly grpc?: string;
  readonly http?: string;
  readonly akName: string;
  close(deadline?: AbortSignal): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}

/** SANs of the TLS certificate: the usual local names plus the listen host when it is a specific one. */
function tlsHosts(listen: string): string[] {
  const { host } = splitListen(listen);
  const hosts = ['localhost', '127.0.0.1', '::1'];
  if (host !== '0.0.0.0' && host !== '::' && !hosts.includes(host)) hosts.push(host);
  return hosts;
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { source, logger } = options;
  const limiter = new RequestLimiter(options.limits);
  const deps = {
    source,
    limiter,
    onError: (error: unknown, client: string) => {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'INTERNAL';
      logger.warn('attestation request failed', { client, code });
    },
  };
  const grpcServer = options.grpcListen === '' ? undefined : createGrpcServer({ maxMessageBytes: MAX_MESSAGE_BYTES });
  const httpServer = options.httpListen === '' ? undefined : createHttpService(deps);
  let grpc: string | undefined;
  let http: string | undefined;
  try {
    if (grpcServer !== undefined) {
      grpcServer.addService(VerificationServiceService, verificationServer(deps));
      // TLS: an ephemeral identity plus the aTLS Attester, so a client can attest the channel itself
      // (lib/atls connectAttested) before relying on it. Either way, what a VerificationService caller trusts is
      // the document, which is bound to its own nonce (purpose.ts).
      let credentials = ServerCredentials.createInsecure();
      if (options.grpcTransport === 'tls') {
        const identity = await createAttestedIdentity({ hosts: tlsHosts(options.grpcListen) });
        grpcServer.addService(AttesterService, limitedAttester(deps, identity));
        credentials = serverCredentials(identity);
      }
      const port = await bindServer(grpcServer, options.grpcListen, credentials);
      grpc = joinHostPort(splitListen(options.grpcListen).host, port);
    }
    if (httpServer !== undefined) {
      const { host, port } = splitListen(options.httpListen);
      httpServer.listen(port, host);
      await once(httpServer, 'listening');
      http = joinHostPort(host, (httpServer.address() as AddressInfo).port);
    }
  } catch (error) {
    grpcServer?.forceShutdown();
    httpServer?.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    ...(grpc === undefined ? {} : { grpc }),
    ...(http === undefined ? {} : { http }),
    akName: source.akName,
    close(deadline) {
      closing ??= (async () => {
        deadline?.addEventListener('abort', () => {
          grpcServer?.forceShutdown();
          httpServer?.closeAllConnections();
        });
        const httpClosed =
          httpServer === undefined
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                httpServer.close(() => {
                  resolve();
                });
                httpServer.closeIdleConnections();
              });
        await Promise.all([grpcServer === undefined ? undefined : shutdownServer(grpcServer), httpClosed]);
        // Only now: in-flight requests still needed the AK.
        await source.close();
      })();
      return closing;
    },
  };
}

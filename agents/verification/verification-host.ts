// Hosts the VerificationService (gRPC GetAttestation + ActivateCredential with the aTLS Attester on the same TLS
// port, and HTTP GET /v1/attestation) on a Tpm the caller owns and keeps open. main.ts runs it as its own process;
// the Bootstrapper runs it in-process on every node, sharing its one Tpm (swtpm serves one client). The host never
// closes that Tpm: it flushes only the AK it created (none when the caller lends its keys).
import { formatListenAddress, type ListenAddress } from '../../lib/config/index.js';
import type { Logger } from '../../lib/log/index.js';
import type { KeyHandle } from '../../native/tpm.js';
import { startAgent } from './agent.js';
import { sharedTpmAttestationSource, type SharedSourceTpm } from './attestation-source.js';
import type { GrpcTransport } from './config.js';
import type { RequestLimits } from './request-limiter.js';

export interface VerificationServiceOptions {
  /** Shared with the rest of the node; NOT closed by the service. */
  readonly tpm: SharedSourceTpm;
  readonly logger: Logger;
  readonly grpcListen: ListenAddress;
  readonly httpListen: ListenAddress;
  /** TCG event log put in every document (default the kernel's securityfs path). */
  readonly eventLogPath?: string;
  /**
   * The caller's AK (and RSA EK) to quote and activate with, kept loaded and never flushed by the service. Without
   * them the service makes its own AK (one transient slot while running) and the EK per activation.
   */
  readonly keys?: { readonly ak: KeyHandle; readonly ek?: KeyHandle };
  /** 'tls' (default: ephemeral identity + Attester, what `constellation verify` dials) or 'plaintext' (loopback). */
  readonly grpcTransport?: GrpcTransport;
  readonly limits?: RequestLimits;
}

export interface RunningVerificationService {
  /** Bound "ip:port" of the gRPC listener. */
  readonly grpcAddress: string;
  /** Bound "ip:port" of the HTTP listener. */
  readonly httpAddress: string;
  /** Hex name of the AK signing every document. */
  readonly akName: string;
  /** Stops listening, drains (forced when `deadline` aborts), flushes the service's own AK. */
  close(deadline?: AbortSignal): Promise<void>;
}

export async function startVerificationService(
  options: VerificationServiceOptions,
): Promise<RunningVerificationService> {
  const source = await sharedTpmAttestationSource(options.tpm, {
    ...(options.eventLogPath === undefined ? {} : { eventLogPath: options.eventLogPath }),
    ...(options.keys === undefined ? {} : { keys: options.keys }),
  });
  const agent = await startAgent({
    source,
    logger: options.logger,
    grpcListen: formatListenAddress(options.grpcListen),
    grpcTransport: options.grpcTransport ?? 'tls',
    httpListen: formatListenAddress(options.httpListen),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  }).catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
  const { grpc, http } = agent;
  if (grpc === undefined || http === undefined) {
    // startAgent leaves a listener out only for an empty listen string, which formatListenAddress never gives.
    await agent.close();
    throw new Error('expected both listeners to be bound');
  }
  return { grpcAddress: grpc, httpAddress: http, akName: agent.akName, close: (deadline) => agent.close(deadline) };
}

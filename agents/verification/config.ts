// The agent's configuration (lib/config: flags > $VERIFICATION_* > --config JSON file > defaults), plus the one
// cross-field rule lib/config cannot express: plaintext gRPC only on a loopback address.
import { DEFAULT_EVENT_LOG_PATH } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { formatListenAddress, isLoopback, loadAgentConfig, type AgentConfig } from '../../lib/config/index.js';
import { InputError } from '../../lib/errors.js';
import { LOG_LEVELS, LOG_TRANSPORTS } from '../../lib/log/index.js';
import { DEFAULT_TCTI } from '../../native/tpm.js';

export const ENV_PREFIX = 'VERIFICATION';

export const VERIFICATION_CONFIG_SCHEMA = {
  grpcListen: { type: 'listen', default: '0.0.0.0:9090', description: 'gRPC VerificationService address' },
  grpcTransport: {
    type: 'enum',
    values: ['tls', 'plaintext'] as const,
    default: 'tls',
    description: 'tls (ephemeral self-signed identity) or plaintext (loopback addresses only)',
  },
  httpListen: { type: 'listen', default: '0.0.0.0:8080', description: 'HTTP GET /v1/attestation address' },
  tcti: { type: 'string', default: DEFAULT_TCTI, description: 'TPM TCTI, e.g. device:/dev/tpmrm0' },
  eventLog: { type: 'string', default: DEFAULT_EVENT_LOG_PATH, description: 'TCG event log included in documents' },
  logLevel: { type: 'enum', values: LOG_LEVELS, default: 'info', description: 'least severe level logged' },
  logTransport: { type: 'enum', values: LOG_TRANSPORTS, description: 'log format; detected when unset' },
} as const;

export type GrpcTransport = 'tls' | 'plaintext';

export interface VerificationConfig {
  readonly grpcListen: string;
  readonly grpcTransport: GrpcTransport;
  readonly httpListen: string;
  readonly tcti: string;
  readonly eventLogPath: string;
  readonly logLevel: AgentConfig<typeof VERIFICATION_CONFIG_SCHEMA>['logLevel'];
  readonly logTransport?: AgentConfig<typeof VERIFICATION_CONFIG_SCHEMA>['logTransport'];
}

/** Loads and validates; throws InputError CONFIG_INVALID listing every problem. */
export function loadVerificationConfig(argv: readonly string[], env: NodeJS.ProcessEnv): VerificationConfig {
  const loaded = loadAgentConfig(VERIFICATION_CONFIG_SCHEMA, { argv, env, envPrefix: ENV_PREFIX });
  if (loaded.grpcTransport === 'plaintext' && !isLoopback(loaded.grpcListen.host)) {
    // The evidence is bound to the caller's nonce either way, but a network listener should not invite clients
    // to skip TLS.
    throw new InputError(
      'CONFIG_INVALID',
      `Invalid configuration (1 problem):\n  - --grpc-transport: expected "tls" for the non-loopback address ` +
        `${formatListenAddress(loaded.grpcListen)}, found "plaintext"`,
    );
  }
  return {
    grpcListen: formatListenAddress(loaded.grpcListen),
    grpcTransport: loaded.grpcTransport,
    httpListen: formatListenAddress(loaded.httpListen),
    tcti: loaded.tcti,
    eventLogPath: loaded.eventLog,
    logLevel: loaded.logLevel,
    ...(loaded.logTransport === undefined ? {} : { logTransport: loaded.logTransport }),
  };
}

// The JoinService's settings (flags > $JOINSERVICE_* > --config file), validated at start.
import { loadAgentConfig, type AgentConfig, type ConfigSources } from '../../lib/config/index.js';
import { LOG_LEVELS, LOG_TRANSPORTS } from '../../lib/log/index.js';

export const JOINSERVICE_ENV_PREFIX = 'JOINSERVICE';

const hex32 = (value: string): string | undefined =>
  /^[0-9a-f]{64}$/i.test(value) ? undefined : `expected 64 hex chars, found ${value.length} chars`;

export const JOINSERVICE_CONFIG_SCHEMA = {
  listen: { type: 'listen', description: 'host:port to serve JoinService and Attester on', default: '0.0.0.0:9090' },
  tpmTcti: { type: 'string', description: 'TCTI of this node’s TPM (it attests the service to nodes)', required: true },
  kmsAddress: { type: 'string', description: 'loopback host:port of the KMS', default: '127.0.0.1:9000' },
  policyFile: { type: 'string', description: 'join policy JSON ({attestation, controlPlaneEks})', required: true },
  policyVersion: { type: 'integer', description: 'version of the policy file', default: 1, min: 0 },
  ekRootsFile: { type: 'string', description: 'PEM bundle of trusted TPM manufacturer roots', required: true },
  ekIntermediatesFile: { type: 'string', description: 'PEM bundle of EK intermediate certificates' },
  clusterFile: { type: 'string', description: 'cluster material JSON (README.md)', required: true },
  adminPublicKeyFile: {
    type: 'string',
    description: 'Ed25519 admin public key (PEM); default: derived from the master secret via the KMS',
  },
  challengeKey: {
    type: 'string',
    description: 'HMAC key (64 hex) shared by replicas so any of them redeems a challenge; default random',
    check: hex32,
  },
  challengeTtlMs: { type: 'integer', description: 'challenge lifetime', default: 60_000, min: 1000, max: 600_000 },
  eventLogPath: { type: 'string', description: 'TCG event log of this node' },
  logLevel: { type: 'enum', values: LOG_LEVELS, description: 'lowest level logged', default: 'info' },
  logTransport: { type: 'enum', values: LOG_TRANSPORTS, description: 'log format' },
} as const;

export type JoinServiceConfig = AgentConfig<typeof JOINSERVICE_CONFIG_SCHEMA>;

export function loadJoinServiceConfig(sources: Omit<ConfigSources, 'envPrefix'>): JoinServiceConfig {
  return loadAgentConfig(JOINSERVICE_CONFIG_SCHEMA, { ...sources, envPrefix: JOINSERVICE_ENV_PREFIX });
}

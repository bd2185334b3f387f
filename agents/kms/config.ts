// The KMS's settings. It serves plain gRPC (no TLS, like the original's KeyService), so it listens on loopback
// only: the JoinService on the same control-plane node is its one client.
import { loadAgentConfig, type AgentConfig, type ConfigSources } from '../../lib/config/index.js';
import { LOG_LEVELS, LOG_TRANSPORTS } from '../../lib/log/index.js';

export const KMS_ENV_PREFIX = 'KMS';

export const KMS_CONFIG_SCHEMA = {
  listen: {
    type: 'listen',
    description: 'loopback host:port to serve KeyService on (port 0 picks a free port)',
    default: '127.0.0.1:9000',
    loopbackOnly: true,
  },
  masterSecretFile: {
    type: 'string',
    description: 'path of constellation-mastersecret.json; may appear after start',
    required: true,
  },
  logLevel: { type: 'enum', values: LOG_LEVELS, description: 'lowest level logged', default: 'info' },
  logTransport: {
    type: 'enum',
    values: LOG_TRANSPORTS,
    description: 'log format (default: journald under systemd, text on a terminal, JSON otherwise)',
  },
} as const;

export type KmsConfig = AgentConfig<typeof KMS_CONFIG_SCHEMA>;

export function loadKmsConfig(sources: Omit<ConfigSources, 'envPrefix'>): KmsConfig {
  return loadAgentConfig(KMS_CONFIG_SCHEMA, { ...sources, envPrefix: KMS_ENV_PREFIX });
}

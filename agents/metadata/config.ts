// The metadata service's configuration (lib/config: flags > $METADATA_* > --config JSON file > defaults).
import { LOCAL_METADATA_HOST, METADATA_PORT } from '../../lib/cluster/ports.js';
import { loadAgentConfig, type AgentConfig } from '../../lib/config/index.js';
import { LOG_LEVELS, LOG_TRANSPORTS } from '../../lib/log/index.js';

export const METADATA_ENV_PREFIX = 'METADATA';

export const METADATA_CONFIG_SCHEMA = {
  listen: {
    type: 'listen',
    default: `${LOCAL_METADATA_HOST}:${METADATA_PORT}`,
    description: 'HTTP address (plain, unauthenticated: like a cloud metadata endpoint)',
  },
  inventory: {
    type: 'string',
    required: true,
    description: 'JSON file {"nodes": [{name, role, address}], "initSecretHash"?: hex}, re-read per request',
  },
  logLevel: { type: 'enum', values: LOG_LEVELS, default: 'info', description: 'least severe level logged' },
  logTransport: { type: 'enum', values: LOG_TRANSPORTS, description: 'log format; detected when unset' },
} as const;

export type MetadataConfig = AgentConfig<typeof METADATA_CONFIG_SCHEMA>;

/** Loads and validates; throws InputError CONFIG_INVALID listing every problem. */
export function loadMetadataConfig(argv: readonly string[], env: NodeJS.ProcessEnv): MetadataConfig {
  return loadAgentConfig(METADATA_CONFIG_SCHEMA, { argv, env, envPrefix: METADATA_ENV_PREFIX });
}

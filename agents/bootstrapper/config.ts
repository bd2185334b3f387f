// The Bootstrapper's settings (flags > $BOOTSTRAPPER_* > --config file), validated at start. The flags are the
// shared contract the local cluster's machines start us with.
import { isIP } from 'node:net';
import { loadAgentConfig, type AgentConfig, type ConfigSources } from '../../lib/config/index.js';
import { LOG_LEVELS, LOG_TRANSPORTS } from '../../lib/log/index.js';

export const BOOTSTRAPPER_ENV_PREFIX = 'BOOTSTRAPPER';

const ipAddress = (value: string): string | undefined =>
  isIP(value) === 0 ? `expected an IP address, found "${value.slice(0, 60)}"` : undefined;
const httpUrl = (value: string): string | undefined =>
  /^http:\/\/[^/\s]+(\/.*)?$/.test(value) ? undefined : `expected an http:// URL, found "${value.slice(0, 60)}"`;

export const BOOTSTRAPPER_CONFIG_SCHEMA = {
  nodeAddress: {
    type: 'string',
    description: 'this node’s IP address: every service listens on it (127.42.0.x in the local cluster)',
    required: true,
    check: ipAddress,
  },
  tcti: {
    type: 'string',
    description: 'TCTI of this node’s TPM, e.g. swtpm:path=… or device:/dev/tpmrm0',
    required: true,
  },
  metadataUrl: {
    type: 'string',
    description: 'untrusted metadata service (GET /self, /peers, /initsecrethash)',
    required: true,
    check: httpUrl,
  },
  stateDisk: {
    type: 'string',
    description: '"none" (development: UNENCRYPTED directory in --state-dir) or the LUKS2 device or file',
    required: true,
  },
  stateDir: {
    type: 'string',
    description: 'directory of the state disk (none) or of its mount point (LUKS)',
    required: true,
  },
  eventLog: {
    type: 'string',
    description: 'TCG event log of this node’s boot (default: the kernel’s securityfs file)',
  },
  ekRoots: {
    type: 'string',
    description: 'PEM file of trusted TPM manufacturer roots (EK certificates)',
    required: true,
  },
  ekIntermediates: { type: 'string', description: 'PEM file of EK intermediate certificates' },
  services: {
    type: 'enum',
    values: ['in-process'],
    description: 'where the node’s services run (in-process: this process hosts them with its one TPM)',
    default: 'in-process',
  },
  kubernetes: {
    type: 'enum',
    values: ['none'],
    description: 'Kubernetes layer (none: no Kubernetes runs)',
    default: 'none',
  },
  retryIntervalMs: {
    type: 'integer',
    description: 'pause between join/rejoin rounds and metadata retries',
    default: 1000,
    min: 50,
    max: 60_000,
  },
  logLevel: { type: 'enum', values: LOG_LEVELS, description: 'lowest level logged', default: 'info' },
  logTransport: { type: 'enum', values: LOG_TRANSPORTS, description: 'log format' },
} as const;

export type BootstrapperConfig = AgentConfig<typeof BOOTSTRAPPER_CONFIG_SCHEMA>;

export function loadBootstrapperConfig(sources: Omit<ConfigSources, 'envPrefix'>): BootstrapperConfig {
  return loadAgentConfig(BOOTSTRAPPER_CONFIG_SCHEMA, { ...sources, envPrefix: BOOTSTRAPPER_ENV_PREFIX });
}

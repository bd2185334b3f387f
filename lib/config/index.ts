// Agent configuration: flags > environment > JSON file, validated strictly at start.
export {
  CONFIG_FLAG,
  describeConfig,
  envName,
  flagName,
  loadAgentConfig,
  type AgentConfig,
  type BooleanField,
  type ConfigSchema,
  type ConfigSources,
  type EnumField,
  type FieldSpec,
  type IntegerField,
  type ListenField,
  type StringField,
} from './agent-config.js';
export { formatListenAddress, isLoopback, parseListenAddress, type ListenAddress } from './listen-address.js';

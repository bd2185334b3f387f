// The node's state disk: LUKS2 through cryptsetup, or an unencrypted directory for development.
export {
  STATE_DISK_ERROR_CODES,
  assertDiskKey,
  isDiskUuid,
  type StateDisk,
  type StateDiskDescription,
  type StateDiskProbe,
} from './state-disk.js';
export { luksStateDisk, type LuksStateDiskOptions } from './luks-state-disk.js';
export {
  DIRECTORY_HEADER_FILE,
  DIRECTORY_VOLUME,
  directoryStateDisk,
  directoryStateDiskWarning,
  type DirectoryStateDisk,
} from './directory-state-disk.js';
export { stateDiskFromSetting, type StateDiskSetting } from './state-disk-setting.js';
export {
  execaRunner,
  timedRunner,
  type CommandInput,
  type DiskCommandTiming,
  type CommandResult,
  type CryptsetupRunner,
  type DiskProgram,
} from './command-runner.js';
export { LUKS_FORMAT } from './luks-format.js';
export { validateLuksHeader, type TrustedLuksHeader } from './luks-header-policy.js';
export {
  CLUSTER_HINT_TOKEN_ID,
  CLUSTER_HINT_TOKEN_TYPE,
  STATE_DISK_TOKEN_ID,
  STATE_DISK_TOKEN_TYPE,
  parseClusterHintToken,
  parseDiskToken,
  sameClusterHint,
  serializeClusterHintToken,
  serializeDiskToken,
  type ClusterHint,
  type DiskToken,
} from './disk-token.js';

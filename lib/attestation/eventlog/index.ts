// Public API of the event-log module: TPM PC Client logs and the TDX CC event log.
export { EVENTLOG_ERROR, type EventLogErrorCode } from './eventlog-errors.js';
export { EV, eventTypeName } from './event-types.js';
export type { DeclaredAlgorithm, EventLog, EventLogFormat, RegisterKind, TcgEvent } from './event-log.js';
export type { EventContent, GrubPrefix } from './event-content.js';
export { GRUB_PREFIXES, SEPARATOR_VALUE, SYSTEMD_EVENT_TAG } from './event-content.js';
export type { UefiVariable, SignatureEntry } from './efi-variable.js';
export type { EfiImageLoad, DevicePathNode } from './efi-image-load.js';
export { parseEventLog, DEFAULT_MAX_EVENTS, type EventLogParseOptions } from './event-log-parser.js';
export { verifyEventDigests } from './digest-consistency.js';
export { replayEventLog, verifyReplay, pcrResetValue, type VerifyReplayOptions } from './replay.js';
export { checkEventLogRules, type EventLogRuleOptions } from './event-log-rules.js';
export {
  secureBootState,
  type SecureBootState,
  type SecureBootAuthority,
  type SignatureDatabase,
} from './secure-boot-state.js';
export { kernelCommandLines, type KernelCommandLine } from './kernel-command-line.js';
export { parseCcel, parseCcelTable, replayCcel, type CcelLog, type CcelTable, type ReplayedCcel } from './ccel.js';

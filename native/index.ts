// The native layer's public entry: the TPM (tpm2-tss ESAPI) and the event log reader.
export {
  DEFAULT_TCTI,
  EK_CERTIFICATE_INDEX,
  NV_ATTRIBUTES,
  NV_DEFAULT_ATTRIBUTES,
  Tpm,
  type KeyHandle,
  type KeyKind,
  type PcrDigests,
  type PcrReadResult,
  type QueueStats,
  type QuoteResult,
  type SealedData,
} from './tpm.js';
export { DEFAULT_EVENT_LOG_PATH, readEventLog } from './event-log-reader.js';

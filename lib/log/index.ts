// Structured, redacting, journald-ready logging and the audit log.
export {
  LOG_LEVELS,
  LOG_TRANSPORTS,
  createLogger,
  detectTransport,
  type LogFields,
  type LogLevel,
  type LogTransport,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export { auditLog, type AuditEntry, type AuditLog, type AuditOutcome } from './audit-log.js';
export { BYTES, REDACTED, isSecretFieldName, redactFields, redactValue } from './redact.js';
export { SYSLOG_PRIORITY, formatJournald, formatJson, formatText, type LogRecord } from './format.js';
export { JOURNAL_SOCKET, encodeJournalEntry, journalFieldName, journalNativeWriter } from './journald-native.js';

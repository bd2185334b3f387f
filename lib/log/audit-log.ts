// One structured line per security decision (join granted, policy update refused, …): who asked, what for, the
// outcome and, when refused, which check failed and why. Goes through the normal logger, so the same redaction
// applies; callers put fingerprints in `subject`, never secrets.
import type { LogFields, Logger } from './logger.js';

export type AuditOutcome = 'granted' | 'denied' | 'failed';

export interface AuditEntry {
  /** The RPC or operation, e.g. 'IssueJoinTicket'. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  /** Who asked: peer address, EK fingerprint, node name… */
  readonly subject?: LogFields;
  /** The check that failed, e.g. 'policy' or 'challenge'. */
  readonly check?: string;
  /** The error code, e.g. 'PCR_MISMATCH'. */
  readonly code?: string;
  /** The human-readable reason (an error message: expected X, found Y). */
  readonly reason?: string;
  /** Anything else worth keeping (policy version, role granted…). */
  readonly details?: LogFields;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
}

/** Granted decisions at info, denied and failed ones at warn; every line carries audit=true. */
export function auditLog(logger: Logger): AuditLog {
  return {
    record(entry) {
      const fields: Record<string, unknown> = { audit: true, action: entry.action, outcome: entry.outcome };
      if (entry.subject !== undefined) fields.subject = entry.subject;
      if (entry.check !== undefined) fields.check = entry.check;
      if (entry.code !== undefined) fields.code = entry.code;
      if (entry.reason !== undefined) fields.reason = entry.reason;
      if (entry.details !== undefined) Object.assign(fields, entry.details);
      const message = `${entry.action} ${entry.outcome}`;
      if (entry.outcome === 'granted') logger.info(message, fields);
      else logger.warn(message, fields);
    },
  };
}

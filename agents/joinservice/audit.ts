// One structured line per join-service decision: who (EK fingerprint), what (method, role), which check
// failed and why, and the policy version it was judged by. Never a secret: no keys, tickets or challenges.
import type { AuditLog } from '../../lib/log/index.js';

export type AuditCheck =
  | 'request'
  | 'ek-certificate'
  | 'attestation-key'
  | 'challenge'
  | 'evidence'
  | 'policy'
  | 'key-source'
  | 'signature'
  | 'version'
  | 'internal';

export interface AuditEntry {
  readonly decision: 'admit' | 'reject';
  readonly method:
    | 'GetChallenge'
    | 'IssueJoinTicket'
    | 'IssueRejoinTicket'
    | 'UpdatePolicy'
    // The Attester on the same server: audited only when refused for size (MESSAGE_TOO_LARGE).
    | 'Attest'
    | 'ActivateCredential'
    | 'unknown';
  /** EK fingerprint (hex) when known. */
  readonly node?: string;
  readonly role?: 'worker' | 'control-plane';
  readonly check?: AuditCheck;
  /** Error code and message of a rejection (our messages never carry secrets). */
  readonly reason?: string;
  /** Version of the policy snapshot the request was judged by (or the new version for UpdatePolicy). */
  readonly policyVersion: string;
}

export type AuditSink = (entry: AuditEntry) => void;

/** JSON lines to a writer (stderr by default); the KMS/log transport can replace it. */
export function jsonLineAudit(write: (line: string) => void = (line) => process.stderr.write(line)): AuditSink {
  return (entry) => {
    write(`${JSON.stringify({ audit: 'join', ...entry })}\n`);
  };
}

/** Audit lines through the agent's logger (lib/log auditLog): one line per decision, redacted like all logs. */
export function loggerAudit(log: AuditLog): AuditSink {
  return (entry) => {
    const code = entry.reason === undefined ? undefined : /^([A-Z0-9_]+):/.exec(entry.reason)?.[1];
    log.record({
      action: entry.method,
      outcome: entry.decision === 'admit' ? 'granted' : 'denied',
      ...(entry.node === undefined ? {} : { subject: { ek: entry.node } }),
      ...(entry.check === undefined ? {} : { check: entry.check }),
      ...(code === undefined ? {} : { code }),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      details: { policyVersion: entry.policyVersion, ...(entry.role === undefined ? {} : { role: entry.role }) },
    });
  };
}

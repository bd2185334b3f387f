// Error codes of the event-log module and the one constructor for structural failures.
import { VerificationError } from '../../errors.js';

export const EVENTLOG_ERROR = {
  /** A length, count or field does not fit the TCG structure (or exceeds a bound). */
  MALFORMED: 'EVENTLOG_MALFORMED',
  /** An event whose digest is defined as the hash of its data does not hash to it (retagging, forged data). */
  DIGEST_MISMATCH: 'EVENTLOG_DIGEST_MISMATCH',
  /** Replaying the log does not reproduce the quoted PCR / RTMR values. */
  REPLAY_MISMATCH: 'EVENTLOG_REPLAY_MISMATCH',
  /** The log carries no digests for the requested bank. */
  BANK_MISSING: 'EVENTLOG_BANK_MISSING',
} as const;

export type EventLogErrorCode = (typeof EVENTLOG_ERROR)[keyof typeof EVENTLOG_ERROR];

/** `Expected <what> at offset <n>, found <what was there>` as VerificationError('EVENTLOG_MALFORMED'). */
export function malformed(expected: string, offset: number, found: string): VerificationError {
  return new VerificationError(EVENTLOG_ERROR.MALFORMED, `Expected ${expected} at offset ${offset}, found ${found}`);
}

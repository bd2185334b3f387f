// The exit codes of `constellation`, one per kind of outcome, chosen by error class (never by message).
import { ConstellationError, InputError, PolicyError, VerificationError } from '../lib/errors.js';
import { NodeRefusedError, NodeUnreachableError } from './node-errors.js';

export const ExitCode = {
  /** Done; for `attestation verify`: the evidence verified and is within the policy. */
  OK: 0,
  /** Unexpected internal error (a bug, or an environment problem such as an unreadable file system). */
  ERROR: 1,
  /** Usage error or unusable input: bad flags, unreadable or malformed files, invalid policy (InputError). */
  USAGE: 2,
  /** The evidence is broken: a signature, certificate chain, nonce or replay check failed (VerificationError). */
  VERIFICATION_FAILED: 3,
  /** The evidence verified, but the policy rejects it; every violation is printed (PolicyError). */
  POLICY_REJECTED: 4,
  /** A node answered and refused: wrong init secret, cluster already initialised, recovery key rejected. */
  NODE_REFUSED: 5,
  /** No node answered in time (not started yet, wrong address, network down). */
  NODE_UNREACHABLE: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The table shown in `--help` and kept in cli/EXIT-CODES.md. */
export const EXIT_CODE_HELP = `Exit codes:
  0  success (attestation verify: evidence verified and within the policy)
  1  unexpected internal error
  2  usage error or unusable input (bad flags, unreadable or malformed file, invalid policy)
  3  verification failed: the evidence is broken (signature, certificate chain, nonce, replay)
  4  policy rejected: the evidence verified but violates the policy (every violation is printed)
  5  a node refused the request (wrong init secret, already initialised, recovery key rejected)
  6  no node answered in time (not started, wrong address, network down)`;

export function exitCodeForError(error: unknown): ExitCode {
  if (error instanceof PolicyError) return ExitCode.POLICY_REJECTED;
  if (error instanceof VerificationError) return ExitCode.VERIFICATION_FAILED;
  if (error instanceof InputError) return ExitCode.USAGE;
  if (error instanceof NodeRefusedError) return ExitCode.NODE_REFUSED;
  if (error instanceof NodeUnreachableError) return ExitCode.NODE_UNREACHABLE;
  if (error instanceof ConstellationError) return ExitCode.ERROR;
  return ExitCode.ERROR;
}

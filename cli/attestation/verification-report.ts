// What `attestation verify` found: verified facts (label → value), the policy outcome and verifier notes.
import type { PolicyResult } from '../../lib/attestation/policy-result.js';

export interface Fact {
  readonly label: string;
  readonly value: string;
}

export interface VerificationReport {
  /** What was verified, e.g. "SEV-SNP report". */
  readonly evidence: string;
  readonly variant: string;
  /** Facts covered by a verified signature or trusted root. */
  readonly facts: readonly Fact[];
  readonly policy: PolicyResult;
  /** What the verifier deliberately left out or could not check. */
  readonly notes: readonly string[];
}

export function fact(label: string, value: string): Fact {
  return { label, value };
}

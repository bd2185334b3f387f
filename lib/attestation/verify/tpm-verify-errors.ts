// Error codes of the TPM-based validators (all VerificationError: the evidence itself is not acceptable).

export const TpmVerifyErrorCode = {
  /** A required part of the evidence is absent or has the wrong shape. */
  EVIDENCE_MALFORMED: 'TPM_EVIDENCE_MALFORMED',
  /** No quote to verify. */
  QUOTE_MISSING: 'TPM_QUOTE_MISSING',
  /** Only SHA-1 quotes (or a SHA-1 quote signature) while SHA-1 is not allowed. */
  SHA1_REFUSED: 'TPM_SHA1_REFUSED',
  /** Two verified quotes report different values for the same PCR. */
  QUOTES_INCONSISTENT: 'TPM_QUOTES_INCONSISTENT',
  /** The AK is not a restricted, fixedTPM signing key, so "quotes" it signs could be forged blobs. */
  AK_ATTRIBUTES_INVALID: 'TPM_AK_ATTRIBUTES_INVALID',
  /** No anchor ties the AK to a genuine TPM (or the anchor is about another key). */
  AK_UNTRUSTED: 'TPM_AK_UNTRUSTED',
  /** The EK certificate does not chain to a configured manufacturer root at the verification time. */
  EK_CHAIN_INVALID: 'TPM_EK_CHAIN_INVALID',
  /** The AK certificate does not chain to a configured root, or certifies another key. */
  AK_CERT_INVALID: 'TPM_AK_CERT_INVALID',
  /** The event log carries no digests for any quoted bank, so nothing can be replayed. */
  EVENTLOG_BANK_UNAVAILABLE: 'TPM_EVENTLOG_BANK_UNAVAILABLE',
} as const;

export type TpmVerifyErrorCode = (typeof TpmVerifyErrorCode)[keyof typeof TpmVerifyErrorCode];

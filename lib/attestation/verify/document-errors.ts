// Error codes of verifyDocument (all VerificationError).

export const DocumentVerifyErrorCode = {
  /** The document lacks a part its variant needs to be verified (or the caller gave no trust for it). */
  EVIDENCE_MISSING: 'ATTESTATION_EVIDENCE_MISSING',
  /** The TEE report data is not the expected binding (stale nonce, other channel, other verifier). */
  REPORT_DATA_MISMATCH: 'ATTESTATION_REPORT_DATA_MISMATCH',
  /** Replaying the CC event log does not reproduce the quote's RTMRs. */
  RTMR_REPLAY_MISMATCH: 'TDX_RTMR_REPLAY_MISMATCH',
  /** The variant has no validator here. */
  VARIANT_UNSUPPORTED: 'ATTESTATION_VARIANT_UNSUPPORTED',
} as const;

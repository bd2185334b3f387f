// Error codes of the TPM structure parsers and the quote verifier (all VerificationError).

export const TpmErrorCode = {
  /** A TPM wire structure is truncated, has trailing bytes or holds a value its type does not allow. */
  STRUCTURE_MALFORMED: 'TPM_STRUCTURE_MALFORMED',
  /** A well-formed public area this code cannot turn into a verification key (type, curve or hash). */
  KEY_UNSUPPORTED: 'TPM_KEY_UNSUPPORTED',
  /** The public area's key material is not a valid key (point not on the curve, bad modulus). */
  KEY_INVALID: 'TPM_KEY_INVALID',
  /** The object's nameAlg is TPM_ALG_NULL, so it has no digest name. */
  NAME_UNAVAILABLE: 'TPM_NAME_UNAVAILABLE',
  /** A key offered as an AK is not a TPM-resident restricted signing key. */
  AK_ATTRIBUTES_INVALID: 'TPM_AK_ATTRIBUTES_INVALID',
  QUOTE_SIGNATURE_SCHEME_MISMATCH: 'QUOTE_SIGNATURE_SCHEME_MISMATCH',
  QUOTE_SHA1_REFUSED: 'QUOTE_SHA1_REFUSED',
  QUOTE_SIGNATURE_INVALID: 'QUOTE_SIGNATURE_INVALID',
  QUOTE_MAGIC_INVALID: 'QUOTE_MAGIC_INVALID',
  QUOTE_TYPE_INVALID: 'QUOTE_TYPE_INVALID',
  QUOTE_NONCE_MISMATCH: 'QUOTE_NONCE_MISMATCH',
  QUOTE_PCR_MISSING: 'QUOTE_PCR_MISSING',
  QUOTE_PCR_NOT_SIGNED: 'QUOTE_PCR_NOT_SIGNED',
  QUOTE_PCR_DIGEST_MISMATCH: 'QUOTE_PCR_DIGEST_MISMATCH',
  QUOTE_SIGNER_MISMATCH: 'QUOTE_SIGNER_MISMATCH',
} as const;

export type TpmErrorCode = (typeof TpmErrorCode)[keyof typeof TpmErrorCode];

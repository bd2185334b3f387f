// Stable codes of every error the TDX verifier throws; tests and callers match on these.

export const TDX_ERROR = {
  /** A length or offset in the quote does not fit, or a field has an impossible value. */
  QUOTE_MALFORMED: 'TDX_QUOTE_MALFORMED',
  /** Well-formed, but a version, key type, TEE type or certification data type we do not verify. */
  QUOTE_UNSUPPORTED: 'TDX_QUOTE_UNSUPPORTED',
  QUOTE_SIGNATURE_INVALID: 'TDX_QUOTE_SIGNATURE_INVALID',
  QE_REPORT_SIGNATURE_INVALID: 'TDX_QE_REPORT_SIGNATURE_INVALID',
  QE_REPORT_DATA_MISMATCH: 'TDX_QE_REPORT_DATA_MISMATCH',
  PCK_CHAIN_INVALID: 'TDX_PCK_CHAIN_INVALID',
  PCK_EXTENSION_INVALID: 'TDX_PCK_EXTENSION_INVALID',
  CERT_EXPIRED: 'TDX_CERT_EXPIRED',
  CERT_REVOKED: 'TDX_CERT_REVOKED',
  CRL_INVALID: 'TDX_CRL_INVALID',
  CRL_EXPIRED: 'TDX_CRL_EXPIRED',
  COLLATERAL_INVALID: 'TDX_COLLATERAL_INVALID',
  COLLATERAL_EXPIRED: 'TDX_COLLATERAL_EXPIRED',
  /** The collateral is genuine but describes another platform (FMSPC, PCEID) or another TDX module. */
  COLLATERAL_MISMATCH: 'TDX_COLLATERAL_MISMATCH',
  TCB_LEVEL_NOT_FOUND: 'TDX_TCB_LEVEL_NOT_FOUND',
  QE_IDENTITY_MISMATCH: 'TDX_QE_IDENTITY_MISMATCH',
} as const;

export type TdxErrorCode = (typeof TDX_ERROR)[keyof typeof TDX_ERROR];

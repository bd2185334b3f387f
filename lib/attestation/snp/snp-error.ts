// Error codes of SEV-SNP report parsing and verification. Every failure is a VerificationError: the
// evidence (report, certificate, chain) is broken or does not belong together. Policy outcomes are
// PolicyResult violations instead (snp-policy.ts).
import { VerificationError } from '../../errors.js';

export const SNP_ERROR_CODES = [
  'SNP_REPORT_MALFORMED',
  'SNP_CERT_MALFORMED',
  'SNP_SIGNATURE_INVALID',
  'SNP_SIGNATURE_ALGORITHM_UNSUPPORTED',
  'SNP_SIGNING_KEY_MISMATCH',
  'SNP_ROOT_UNTRUSTED',
  'SNP_CHAIN_INVALID',
  'SNP_CERT_EXPIRED',
  'SNP_CERT_NOT_YET_VALID',
  'SNP_CHIP_ID_MISMATCH',
  'SNP_TCB_MISMATCH',
  'SNP_PRODUCT_MISMATCH',
  'SNP_PRODUCT_UNKNOWN',
] as const;

export type SnpErrorCode = (typeof SNP_ERROR_CODES)[number];

export function snpError(code: SnpErrorCode, message: string): VerificationError {
  return new VerificationError(code, message);
}

/** The DER reader's failure factory for AMD certificates: every structural problem is SNP_CERT_MALFORMED. */
export function snpDerFailure(message: string): VerificationError {
  return snpError('SNP_CERT_MALFORMED', `Malformed DER: ${message}`);
}

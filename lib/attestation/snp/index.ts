// AMD SEV-SNP attestation: parse a report, verify it against AMD's key hierarchy, apply a policy.
export { SNP_ERROR_CODES, type SnpErrorCode } from './snp-error.js';
export {
  SNP_PRODUCTS,
  parseProductName,
  productFromCpuid,
  type SnpProduct,
  type SnpProductName,
} from './snp-product.js';
export {
  decodeTcb,
  formatTcb,
  tcbComponents,
  TCB_COMPONENTS,
  type TcbComponent,
  type TcbVersion,
} from './tcb-version.js';
export { decodeGuestPolicy, decodePlatformInfo, type SnpGuestPolicy, type SnpPlatformInfo } from './guest-policy.js';
export {
  parseSnpReport,
  SNP_REPORT_SIZE,
  SNP_SIGNED_LENGTH,
  type SnpCpuid,
  type SnpReport,
  type SnpSigningKey,
} from './snp-report.js';
export { parseAmdCertificate, type AmdCertificate } from './amd-certificate.js';
export {
  parseSignerCertificate,
  SNP_EXTENSION_OID,
  type SnpSignerCertificate,
  type SignerSpls,
} from './signer-certificate.js';
export { AMD_CERT_CHAINS, type AmdCertChainPem } from './amd-roots.js';
export {
  verifyAmdChain,
  isVerifiedAmdChain,
  type AmdChainOptions,
  type SnpSignerKind,
  type VerifiedAmdChain,
} from './amd-chain.js';
export { verifySnpSigner, type VerifiedSnpSigner, type VerifySnpSignerOptions } from './signer-chain.js';
export { verifySnpReport, type VerifiedSnpState, type VerifySnpReportOptions } from './snp-verifier.js';
export { evaluateSnpPolicy, type SnpPolicy, type SnpTcbMinimum, type SnpVersionMinimum } from './snp-policy.js';

// Public surface of the TDX verifier: parse a quote, verify it (with or without Intel collateral),
// apply a policy to the verified state.
export { TDX_ERROR, type TdxErrorCode } from './tdx-error-codes.js';
export type { SgxReportBody, TdxQuote, TdxQuoteBody, TdxQuoteHeader } from './tdx-quote.js';
export { parseTdxQuote } from './quote-parser.js';
export { INTEL_SGX_ROOT_CA_PEM } from './intel-sgx-root-ca.js';
export type { PckExtensions } from './pck-extensions.js';
export { TCB_STATUSES, type TcbStatus } from './collateral-fields.js';
export { parseSignedCollateralJson, type SignedCollateralJson } from './collateral-json.js';
export { readTdxTcbInfo, type TdxTcbInfo, type TdxTcbLevel, type TdxModuleIdentity } from './tcb-info.js';
export { readTdQeIdentity, type TdQeIdentity } from './qe-identity.js';
export { evaluateTdxTcb, type TdxTcbEvaluation, type TdxTcbInput } from './tcb-level.js';
export { evaluateQeIdentity, type QeIdentityEvaluation } from './qe-identity-check.js';
export {
  verifyTdxCollateral,
  checkCollateralSignature,
  type TdxCollateral,
  type VerifiedTdxCollateral,
} from './collateral-verifier.js';
export {
  verifyTdxQuote,
  verifyTdxQuoteSync,
  type VerifiedTdxState,
  type VerifyTdxQuoteOptions,
} from './quote-verifier.js';
export { evaluateTdxPolicy, type TdxPolicy, type TdxRtmrRule, type TdxMaskedValue } from './tdx-policy.js';

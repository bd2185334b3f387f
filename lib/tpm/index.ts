// Public surface of lib/tpm: TPM 2.0 structures, names, credentials and quote verification.
export { TpmErrorCode } from './tpm-error-codes.js';
export {
  TPM_ALG,
  TPM_ECC_CURVE,
  TPM_GENERATED_VALUE,
  TPM_RH,
  TPM_ST,
  TPM_ST_ATTEST_QUOTE,
  TPMA_OBJECT,
  algName,
  attestTypeName,
  objectAttributeFlags,
} from './tpm-constants.js';
export { TpmReader } from './tpm-reader.js';
export { TpmWriter } from './tpm-writer.js';
export { tpmHashForAlg, type TpmHashAlg } from './tpm-hash.js';
export {
  parsePublic,
  parsePublic2B,
  type TpmPublic,
  type TpmRsaPublic,
  type TpmEccPublic,
  type TpmScheme,
  type TpmSymmetric,
} from './public-area.js';
export { marshalPublic, publicFromKey, AK_ATTRIBUTES, type PublicTemplate } from './public-marshal.js';
export { objectName, qualifiedName, hierarchyQualifiedName, nameHash } from './object-name.js';
export { parseAttest, type TpmsAttest, type TpmsClockInfo, type TpmsQuoteInfo } from './attest.js';
export { marshalAttest, marshalQuoteInfo, type AttestFields } from './attest-marshal.js';
export { parseSignature, type TpmtSignature } from './signature.js';
export { marshalSignature } from './signature-marshal.js';
export { kdfA, kdfE } from './kdf.js';
export { makeCredential, type MadeCredential, type CredentialTestInputs } from './make-credential.js';
export { verifyQuote, type QuoteInput, type VerifiedQuote } from './quote-verifier.js';
export { assertAttestationKey } from './attestation-key.js';

// Public surface of the attestation document module.
export {
  DOCUMENT_VERSION,
  type AttestationDocument,
  type SnpEvidence,
  type TdxCollateral,
  type TdxEvidence,
  type TeeEvidence,
  type TpmEvidence,
  type TpmQuote,
} from './attestation-document.js';
export { decodeDocument, encodeDocument } from './document-codec.js';
export { DOCUMENT_ERROR_CODES, DocumentInvalidError, type DocumentProblem } from './document-error.js';
export { detectDocumentEncoding, parseDocument, type DocumentEncoding } from './document-file.js';
export { documentFromJson, documentFromJsonText, documentToJson, documentToJsonText } from './document-json.js';
export { DOCUMENT_LIMITS } from './document-limits.js';
export { validateDocumentMessage } from './document-validation.js';
export { documentFromGcpAttestation } from './gcp-attestation.js';
export { parseAzureVtpmQuote, type AzureVtpmQuote } from './azure-vtpm-quote.js';
export { VARIANTS, VARIANT_PARTS, isVariant, type Variant, type VariantParts } from './variant.js';

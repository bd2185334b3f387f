// Size bounds for every attestation document field, checked before any parser sees the bytes, so that a
// peer cannot make a verifier allocate or walk arbitrarily large inputs (DESIGN.md §2.8).

const KiB = 1024;
const MiB = 1024 * KiB;

export const DOCUMENT_LIMITS = {
  /** Whole encoded document (protobuf or JSON text). */
  document: 8 * MiB,
  akPublic: 2 * KiB,
  quotes: 4,
  quoteAttest: 4 * KiB,
  quoteSignature: 4 * KiB,
  eventLog: 1 * MiB,
  certificate: 16 * KiB,
  akCertificateChain: 8,
  snpReport: 4 * KiB,
  certificateChainPem: 64 * KiB,
  hclReport: 16 * KiB,
  tdxQuote: 64 * KiB,
  ccEventLog: 1 * MiB,
  ccelTable: 4 * KiB,
  collateralItem: 1 * MiB,
} as const;

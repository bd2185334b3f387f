// The validated attestation document: the typed form every verifier consumes. Produced only by
// decodeDocument / documentFromJson / validateDocumentMessage, which check the shape and bounds first.
import type { PcrBank } from '../../tpm/pcr.js';
import type { Variant } from './variant.js';

/** The document format version this code reads and writes. */
export const DOCUMENT_VERSION = 1;

export interface AttestationDocument {
  readonly version: typeof DOCUMENT_VERSION;
  readonly variant: Variant;
  readonly tpm?: TpmEvidence;
  readonly tee?: TeeEvidence;
}

export interface TpmEvidence {
  /** TPMT_PUBLIC of the attestation key. */
  readonly akPublic: Buffer;
  /** At least one quote, at most one per bank. */
  readonly quotes: readonly TpmQuote[];
  readonly eventLog?: Buffer;
  /** DER. */
  readonly ekCertificate?: Buffer;
  /** DER, AK certificate first. */
  readonly akCertificateChain: readonly Buffer[];
}

export interface TpmQuote {
  readonly pcrBank: PcrBank;
  /** TPMS_ATTEST. */
  readonly attest: Buffer;
  /** TPMT_SIGNATURE. */
  readonly signature: Buffer;
  /** Reported PCR values of `pcrBank`, by index (0-23); each exactly the bank's digest size. */
  readonly pcrs: Readonly<Record<number, Buffer>>;
}

export type TeeEvidence = SnpEvidence | TdxEvidence;

export interface SnpEvidence {
  readonly kind: 'snp';
  /** Raw attestation report; absent on Azure, where it is inside `hclReport`. */
  readonly report?: Buffer;
  /** VCEK or VLEK, DER. */
  readonly signerCertificate?: Buffer;
  /** ASK/ASVK + ARK, PEM. */
  readonly certificateChain?: Buffer;
  readonly hclReport?: Buffer;
}

export interface TdxEvidence {
  readonly kind: 'tdx';
  readonly quote: Buffer;
  readonly collateral?: TdxCollateral;
  readonly ccEventLog?: Buffer;
  readonly ccelTable?: Buffer;
  readonly hclReport?: Buffer;
}

export interface TdxCollateral {
  /** TCB Info JSON body. */
  readonly tcbInfo: Buffer;
  /** PEM. */
  readonly tcbInfoIssuerChain: Buffer;
  /** QE Identity JSON body. */
  readonly qeIdentity: Buffer;
  /** PEM. */
  readonly qeIdentityIssuerChain: Buffer;
  /** DER. */
  readonly pckCrl: Buffer;
  /** PEM; optional because the PCK chain in the quote already names the PCK CA. */
  readonly pckCrlIssuerChain?: Buffer;
  /** DER. */
  readonly rootCrl: Buffer;
}

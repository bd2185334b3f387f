// The parsed shape of an Intel TDX quote (v4 or v5). Byte fields are views into the parser's private
// copy of the quote.

export const TDX_TEE_TYPE = 0x81;
export const ECDSA_P256_ATTESTATION_KEY_TYPE = 2;
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;

export interface TdxQuoteHeader {
  readonly version: 4 | 5;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Buffer;
  readonly userData: Buffer;
}

/** TD report body; `teeTcbSvn2` and `mrServiceTd` only exist in the TDX 1.5 body (v5 descriptor type 3). */
export interface TdxQuoteBody {
  readonly teeTcbSvn: Buffer;
  readonly mrSeam: Buffer;
  readonly mrSignerSeam: Buffer;
  readonly seamAttributes: Buffer;
  readonly tdAttributes: Buffer;
  readonly xfam: Buffer;
  readonly mrTd: Buffer;
  readonly mrConfigId: Buffer;
  readonly mrOwner: Buffer;
  readonly mrOwnerConfig: Buffer;
  /** RTMR0..RTMR3, 48 bytes each. */
  readonly rtmrs: readonly [Buffer, Buffer, Buffer, Buffer];
  readonly reportData: Buffer;
  readonly teeTcbSvn2?: Buffer;
  readonly mrServiceTd?: Buffer;
}

/** SGX REPORT body of the quoting enclave (384 bytes). */
export interface SgxReportBody {
  readonly raw: Buffer;
  readonly cpuSvn: Buffer;
  readonly miscSelect: number;
  readonly attributes: Buffer;
  readonly mrEnclave: Buffer;
  readonly mrSigner: Buffer;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: Buffer;
}

export interface TdxQuote {
  readonly header: TdxQuoteHeader;
  /** Null for v4; 2 (TDX 1.0) or 3 (TDX 1.5) for v5. */
  readonly bodyType: 2 | 3 | null;
  readonly body: TdxQuoteBody;
  /** Exactly the bytes the attestation key signs: header (+ v5 descriptor) + body. */
  readonly signedBytes: Buffer;
  /** ECDSA P-256 signature r‖s over `signedBytes`. */
  readonly signature: Buffer;
  /** Raw attestation public key X‖Y (64 bytes). */
  readonly attestationKey: Buffer;
  readonly qeReport: SgxReportBody;
  /** ECDSA P-256 signature r‖s over the QE report by the PCK key. */
  readonly qeReportSignature: Buffer;
  readonly qeAuthData: Buffer;
  /** PEM chain as carried in the quote: PCK leaf, PCK Platform/Processor CA, root. */
  readonly pckChainPem: string;
}

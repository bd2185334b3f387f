// Parses a TDX quote v4/v5 (Intel TDX DCAP Quote Library layout). Structure only: nothing here is trusted
// until verifyTdxQuote has checked the signatures. Trailing bytes after the signed data are ignored, as
// configfs-tsm and the GCE quote provider pad the quote buffer.
import { VerificationError } from '../../errors.js';
import { ByteCursor } from './byte-cursor.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import {
  CERT_DATA_PCK_CHAIN,
  CERT_DATA_QE_REPORT,
  ECDSA_P256_ATTESTATION_KEY_TYPE,
  TDX_TEE_TYPE,
  type SgxReportBody,
  type TdxQuote,
  type TdxQuoteBody,
  type TdxQuoteHeader,
} from './tdx-quote.js';

const BODY_V4_SIZE = 584;
const BODY_V5_TDX15_SIZE = 648;
const SGX_REPORT_SIZE = 384;
// Real quotes are about 5 KiB (8000 bytes when padded by the quote provider); the bound keeps copies small.
const MAX_QUOTE_BYTES = 64 * 1024;

function malformed(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.QUOTE_MALFORMED, `TDX quote: ${message}`);
}

function unsupported(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.QUOTE_UNSUPPORTED, `TDX quote format not supported: ${message}`);
}

function parseHeader(cursor: ByteCursor): TdxQuoteHeader {
  const version = cursor.u16('header version');
  if (version !== 4 && version !== 5) throw unsupported(`expected version 4 or 5, got ${version}`);
  const attestationKeyType = cursor.u16('attestation key type');
  if (attestationKeyType !== ECDSA_P256_ATTESTATION_KEY_TYPE) {
    throw unsupported(`expected attestation key type 2 (ECDSA P-256), got ${attestationKeyType}`);
  }
  const teeType = cursor.u32('TEE type');
  if (teeType !== TDX_TEE_TYPE) throw unsupported(`expected TEE type 0x81 (TDX), got 0x${teeType.toString(16)}`);
  return {
    version,
    attestationKeyType,
    teeType,
    qeSvn: cursor.u16('QE SVN'),
    pceSvn: cursor.u16('PCE SVN'),
    qeVendorId: cursor.take(16, 'QE vendor ID'),
    userData: cursor.take(20, 'user data'),
  };
}

function parseBody(cursor: ByteCursor, tdx15: boolean): TdxQuoteBody {
  const field = (size: number, what: string): Buffer => cursor.take(size, what);
  const base = {
    teeTcbSvn: field(16, 'TEE_TCB_SVN'),
    mrSeam: field(48, 'MRSEAM'),
    mrSignerSeam: field(48, 'MRSIGNERSEAM'),
    seamAttributes: field(8, 'SEAMATTRIBUTES'),
    tdAttributes: field(8, 'TDATTRIBUTES'),
    xfam: field(8, 'XFAM'),
    mrTd: field(48, 'MRTD'),
    mrConfigId: field(48, 'MRCONFIGID'),
    mrOwner: field(48, 'MROWNER'),
    mrOwnerConfig: field(48, 'MROWNERCONFIG'),
    rtmrs: [field(48, 'RTMR0'), field(48, 'RTMR1'), field(48, 'RTMR2'), field(48, 'RTMR3')] as const,
    reportData: field(64, 'REPORTDATA'),
  };
  if (!tdx15) return base;
  return { ...base, teeTcbSvn2: field(16, 'TEE_TCB_SVN_2'), mrServiceTd: field(48, 'MRSERVICETD') };
}

export function parseSgxReportBody(raw: Buffer): SgxReportBody {
  const cursor = new ByteCursor(raw);
  const cpuSvn = cursor.take(16, 'QE report CPUSVN');
  const miscSelect = cursor.u32('QE report MISCSELECT');
  cursor.take(28, 'QE report reserved');
  const attributes = cursor.take(16, 'QE report ATTRIBUTES');
  const mrEnclave = cursor.take(32, 'QE report MRENCLAVE');
  cursor.take(32, 'QE report reserved');
  const mrSigner = cursor.take(32, 'QE report MRSIGNER');
  cursor.take(96, 'QE report reserved');
  const isvProdId = cursor.u16('QE report ISVPRODID');
  const isvSvn = cursor.u16('QE report ISVSVN');
  cursor.take(60, 'QE report reserved');
  const reportData = cursor.take(64, 'QE report REPORTDATA');
  return { raw, cpuSvn, miscSelect, attributes, mrEnclave, mrSigner, isvProdId, isvSvn, reportData };
}

/** Certification data type 6: QE report, its signature, QE auth data, then the inner type 5 PCK chain. */
function parseQeReportCertificationData(
  data: Buffer,
): Pick<TdxQuote, 'qeReport' | 'qeReportSignature' | 'qeAuthData' | 'pckChainPem'> {
  const cursor = new ByteCursor(data);
  const qeReport = parseSgxReportBody(cursor.take(SGX_REPORT_SIZE, 'QE report'));
  const qeReportSignature = cursor.take(64, 'QE report signature');
  const qeAuthData = cursor.take(cursor.u16('QE auth data size'), 'QE auth data');
  const innerType = cursor.u16('PCK certification data type');
  if (innerType !== CERT_DATA_PCK_CHAIN) {
    throw unsupported(`expected inner certification data type 5 (PCK chain), got ${innerType}`);
  }
  const innerSize = cursor.u32('PCK certification data size');
  if (innerSize !== cursor.remaining) {
    throw malformed(
      `size of PCK certification data is 0x${innerSize.toString(16)}, expected 0x${cursor.remaining.toString(16)}`,
    );
  }
  const pckChainPem = cursor.take(innerSize, 'PCK certificate chain').toString('latin1');
  return { qeReport, qeReportSignature, qeAuthData, pckChainPem };
}

/** Parses quote bytes. Throws VerificationError TDX_QUOTE_MALFORMED / TDX_QUOTE_UNSUPPORTED. */
export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  if (bytes.length > MAX_QUOTE_BYTES) throw malformed(`expected at most ${MAX_QUOTE_BYTES} bytes, got ${bytes.length}`);
  // A private copy: the verified state must not change if the caller reuses its buffer.
  const buffer = Buffer.from(bytes);
  const cursor = new ByteCursor(buffer);
  const header = parseHeader(cursor);
  let bodyType: 2 | 3 | null = null;
  if (header.version === 5) {
    const type = cursor.u16('body descriptor type');
    const size = cursor.u32('body descriptor size');
    if (type === 2 && size === BODY_V4_SIZE) bodyType = 2;
    else if (type === 3 && size === BODY_V5_TDX15_SIZE) bodyType = 3;
    else throw unsupported(`expected body type 2 (584 bytes) or 3 (648 bytes), got type ${type} of ${size} bytes`);
  }
  const body = parseBody(cursor, bodyType === 3);
  const signedBytes = buffer.subarray(0, cursor.offset);

  const signedDataSize = cursor.u32('signed data size');
  const signedDataStart = cursor.offset;
  cursor.take(signedDataSize, 'signed data');
  const signedData = new ByteCursor(buffer, signedDataStart, signedDataStart + signedDataSize);
  const signature = signedData.take(64, 'quote signature');
  const attestationKey = signedData.take(64, 'attestation key');
  const certType = signedData.u16('certification data type');
  const certSize = signedData.u32('certification data size');
  if (certSize !== signedData.remaining) {
    throw malformed(
      `size of certificate data is 0x${signedData.remaining.toString(16)} (from the signed data size), expected size 0x${certSize.toString(16)} (from its size field)`,
    );
  }
  if (certType !== CERT_DATA_QE_REPORT) {
    throw unsupported(`expected certification data type 6 (QE report), got ${certType}`);
  }
  const certification = parseQeReportCertificationData(signedData.take(certSize, 'certification data'));
  return { header, bodyType, body, signedBytes, signature, attestationKey, ...certification };
}

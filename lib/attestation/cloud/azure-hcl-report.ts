// The Azure paravisor (HCL) report: a hardware report (SNP report or TDX TDREPORT) whose report data is
// SHA-256 of the runtime-claims JSON that follows it; the claims name the vTPM's AK (HCLAkPub).
// Layout (azure-cvm-tooling `hcl` crate): 32-byte header "HCLA", hardware report at 32 (1184 bytes),
// IGVM_REQUEST_DATA at 1216 (5 × u32 LE: data size, version, report type, hash type, variable-data size),
// then the variable data (runtime claims JSON) at 1236.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';

export const AzureErrorCode = {
  HCL_REPORT_MALFORMED: 'AZURE_HCL_REPORT_MALFORMED',
  /** report_data[0:32] of the hardware report is not SHA-256 of the runtime claims. */
  HCL_BINDING_MISMATCH: 'AZURE_HCL_BINDING_MISMATCH',
  /** The quoting AK is not the HCLAkPub of the runtime claims. */
  AK_MISMATCH: 'AZURE_AK_MISMATCH',
  /** The TDX quote does not carry the HCL report's TD report data. */
  TDX_REPORT_MISMATCH: 'AZURE_TDX_REPORT_MISMATCH',
} as const;

const HEADER_SIZE = 32;
const HW_REPORT_SIZE = 1184;
const REQUEST_DATA_OFFSET = HEADER_SIZE + HW_REPORT_SIZE;
const VAR_DATA_OFFSET = REQUEST_DATA_OFFSET + 20;
/** Runtime claims are a few KiB; anything bigger is not a genuine HCL report. */
const MAX_VAR_DATA = 64 * 1024;
const SNP_REPORT_SIZE = 1184;
const TD_REPORT_SIZE = 1024;
/** Offsets of the 64-byte report data: SNP report 0x50; TDREPORT REPORTMACSTRUCT 128. */
const SNP_REPORT_DATA_OFFSET = 0x50;
const TD_REPORT_DATA_OFFSET = 128;

export type HclReportType = 'snp' | 'tdx';
const REPORT_TYPES: ReadonlyMap<number, HclReportType> = new Map([
  [2, 'snp'],
  [4, 'tdx'],
]);
const HASH_TYPES: ReadonlyMap<number, 'sha256' | 'sha384' | 'sha512'> = new Map([
  [1, 'sha256'],
  [2, 'sha384'],
  [3, 'sha512'],
]);

export interface HclReport {
  readonly type: HclReportType;
  /** The SNP report (1184 bytes) or the TDREPORT (1024 bytes). */
  readonly hardwareReport: Buffer;
  /** The 64-byte report data of the hardware report. */
  readonly reportData: Buffer;
  readonly hashType: 'sha256' | 'sha384' | 'sha512';
  /** Runtime claims JSON bytes exactly as hashed. */
  readonly runtimeData: Buffer;
  /** Parsed runtime claims (keys, vm-configuration, user-data). */
  readonly runtimeClaims: Readonly<Record<string, unknown>>;
}

function malformed(message: string): VerificationError {
  return new VerificationError(AzureErrorCode.HCL_REPORT_MALFORMED, `HCL report ${message}`);
}

export function parseHclReport(bytes: Uint8Array): HclReport {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < VAR_DATA_OFFSET) throw malformed(`expected at least ${VAR_DATA_OFFSET} bytes, got ${buf.length}`);
  const magic = buf.subarray(0, 4).toString('latin1');
  if (magic !== 'HCLA') throw malformed(`expected signature "HCLA", got ${shortHex(buf.subarray(0, 4))}`);
  const reportTypeId = buf.readUInt32LE(REQUEST_DATA_OFFSET + 8);
  const type = REPORT_TYPES.get(reportTypeId);
  if (type === undefined) throw malformed(`expected report type 2 (SNP) or 4 (TDX), got ${reportTypeId}`);
  const hashTypeId = buf.readUInt32LE(REQUEST_DATA_OFFSET + 12);
  const hashType = HASH_TYPES.get(hashTypeId);
  if (hashType === undefined) throw malformed(`expected hash type 1, 2 or 3, got ${hashTypeId}`);
  const varSize = buf.readUInt32LE(REQUEST_DATA_OFFSET + 16);
  if (varSize > MAX_VAR_DATA || VAR_DATA_OFFSET + varSize > buf.length) {
    throw malformed(
      `expected ${varSize} bytes of runtime data at ${VAR_DATA_OFFSET}, got ${buf.length - VAR_DATA_OFFSET}`,
    );
  }
  const runtimeData = Buffer.from(buf.subarray(VAR_DATA_OFFSET, VAR_DATA_OFFSET + varSize));
  let runtimeClaims: unknown;
  try {
    runtimeClaims = JSON.parse(runtimeData.toString('utf8')) as unknown;
  } catch {
    throw malformed('expected JSON runtime claims, got bytes that do not parse');
  }
  if (typeof runtimeClaims !== 'object' || runtimeClaims === null || Array.isArray(runtimeClaims)) {
    throw malformed('expected a JSON object as runtime claims, got another JSON value');
  }
  const hardwareReport = Buffer.from(
    buf.subarray(HEADER_SIZE, HEADER_SIZE + (type === 'snp' ? SNP_REPORT_SIZE : TD_REPORT_SIZE)),
  );
  const dataOffset = type === 'snp' ? SNP_REPORT_DATA_OFFSET : TD_REPORT_DATA_OFFSET;
  const reportData = Buffer.from(hardwareReport.subarray(dataOffset, dataOffset + 64));
  return {
    type,
    hardwareReport,
    reportData,
    hashType,
    runtimeData,
    runtimeClaims: runtimeClaims as Record<string, unknown>,
  };
}

/** report_data[0:n] must be H(runtime claims): that is what makes the claims (and the AK in them) signed. */
export function verifyHclBinding(report: HclReport): void {
  const digest = createHash(report.hashType).update(report.runtimeData).digest();
  const bound = report.reportData.subarray(0, digest.length);
  if (!bound.equals(digest)) {
    throw new VerificationError(
      AzureErrorCode.HCL_BINDING_MISMATCH,
      `HCL report data expected ${report.hashType} of the runtime claims ${shortHex(digest)}, got ${shortHex(bound)}`,
    );
  }
}

/** The HCLAkPub JWK of the runtime claims as a public key. */
export function hclAkPublicKey(report: HclReport): KeyObject {
  const keys = report.runtimeClaims.keys;
  const jwk = Array.isArray(keys)
    ? (keys as unknown[]).find(
        (key): key is Record<string, unknown> =>
          typeof key === 'object' && key !== null && (key as Record<string, unknown>).kid === 'HCLAkPub',
      )
    : undefined;
  if (jwk === undefined) throw malformed('expected runtime claims with a HCLAkPub key, got none');
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw malformed('expected HCLAkPub as an RSA JWK (kty, n, e), got another shape');
  }
  try {
    return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } satisfies JsonWebKey, format: 'jwk' });
  } catch {
    throw malformed('expected HCLAkPub to be a valid RSA public key, got one that does not import');
  }
}

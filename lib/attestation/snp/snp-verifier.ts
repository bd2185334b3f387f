// Verifies an SEV-SNP attestation report: the report is signed by the VCEK/VLEK, that key is certified
// by AMD for this product, and the key's chip and TCB are the ones the report claims. Returns the
// verified state that evaluateSnpPolicy consumes; throws VerificationError for broken evidence.
import { verify } from 'node:crypto';
import { invalidArgument } from '../../errors.js';
import { shortHex } from '../../hex.js';
import type { SnpSignerKind } from './amd-chain.js';
import type { SnpSignerCertificate } from './signer-certificate.js';
import { verifySnpSigner, type VerifySnpSignerOptions } from './signer-chain.js';
import { snpError } from './snp-error.js';
import type { SnpProduct } from './snp-product.js';
import {
  parseSnpReport,
  SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384,
  SNP_SIGNED_LENGTH,
  type SnpReport,
} from './snp-report.js';
import { decodeTcb, tcbComponents, type TcbVersion } from './tcb-version.js';

export interface VerifySnpReportOptions extends VerifySnpSignerOptions {
  /** The raw 1184-byte report, or one already parsed with parseSnpReport. */
  readonly report: Uint8Array | SnpReport;
}

export interface VerifiedSnpState {
  readonly report: SnpReport;
  readonly product: SnpProduct;
  /** The signer's productName extension, e.g. "Milan-B0". */
  readonly productName: string;
  /** Machine stepping from the productName ("B0" → 0), when the name has one. */
  readonly stepping: number | undefined;
  readonly signingKey: SnpSignerKind;
  /** The report's TCB values decoded for the product. */
  readonly tcb: {
    readonly current: TcbVersion;
    readonly reported: TcbVersion;
    readonly committed: TcbVersion;
    readonly launch: TcbVersion;
  };
  readonly signer: {
    readonly fingerprint: string;
    readonly hwId: Buffer | undefined;
    readonly cspId: string | undefined;
    readonly notAfter: Date;
  };
  readonly chain: { readonly arkFingerprint: string; readonly intermediateFingerprint: string };
  /** True when the report's chip_id is zeroed (MASK_CHIP_ID), so the VCEK hwID could not be compared. */
  readonly chipIdMasked: boolean;
}

const SIGNING_KEY_VALUES: Record<SnpSignerKind, number> = { vcek: 0, vlek: 1 };

function checkReportSignature(report: SnpReport, signer: SnpSignerCertificate): void {
  if (report.signatureAlgo !== SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384) {
    throw snpError(
      'SNP_SIGNATURE_ALGORITHM_UNSUPPORTED',
      `SNP report SIGNATURE_ALGO expected ${SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384} (ECDSA P-384 SHA-384), got ${report.signatureAlgo}`,
    );
  }
  if (report.signingKey !== signer.kind) {
    throw snpError(
      'SNP_SIGNING_KEY_MISMATCH',
      `SNP report SIGNING_KEY expected ${SIGNING_KEY_VALUES[signer.kind]} (${signer.kind.toUpperCase()}, the given signer), got ${report.signingKey.toUpperCase()}`,
    );
  }
  if (report.maskChipKey) {
    throw snpError(
      'SNP_SIGNATURE_INVALID',
      'SNP report expected a signature, got MASK_CHIP_KEY set (the report is unsigned)',
    );
  }
  const key = signer.certificate.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    throw snpError(
      'SNP_CERT_MALFORMED',
      `Expected an EC P-384 key in the ${signer.kind.toUpperCase()}, got ${String(key.asymmetricKeyType)}`,
    );
  }
  // R and S are stored little-endian in 72-byte fields; P-384 uses the low 48 bytes.
  const signature = Buffer.concat([
    Buffer.from(report.signatureR.subarray(0, 48)).reverse(),
    Buffer.from(report.signatureS.subarray(0, 48)).reverse(),
  ]);
  const ok = verify('sha384', report.raw.subarray(0, SNP_SIGNED_LENGTH), { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) {
    throw snpError(
      'SNP_SIGNATURE_INVALID',
      `SNP report signature expected to verify under the ${signer.kind.toUpperCase()} (sha256 ${signer.certificate.fingerprint.slice(0, 16)}…), got a mismatch`,
    );
  }
}

function checkChipId(report: SnpReport, signer: SnpSignerCertificate): boolean {
  const hwId = signer.hwId;
  if (!hwId) return false;
  if (report.chipId.every((byte) => byte === 0)) return true;
  // Turin VCEKs carry an 8-byte hwID; the report's 64-byte chip_id holds it in its first 8 bytes.
  const expected = Buffer.concat([hwId, Buffer.alloc(64 - hwId.length)]);
  if (!expected.equals(report.chipId)) {
    throw snpError(
      'SNP_CHIP_ID_MISMATCH',
      `SNP report chip_id expected ${shortHex(hwId, 8)} (the VCEK hwID), got ${shortHex(report.chipId, 8)}: the VCEK belongs to another chip`,
    );
  }
  return false;
}

function checkSignerTcb(reported: TcbVersion, signer: SnpSignerCertificate, product: SnpProduct): void {
  for (const component of tcbComponents(product)) {
    const inReport = reported[component];
    const inCertificate = signer.spls[component];
    if (inReport !== inCertificate) {
      throw snpError(
        'SNP_TCB_MISMATCH',
        `SNP reported TCB ${component} expected ${String(inCertificate)} (the ${signer.kind.toUpperCase()}'s SPL), got ${String(inReport)}`,
      );
    }
  }
}

/** Verifies a report and its signer at `options.now`; throws VerificationError with an SNP_* code. */
export function verifySnpReport(options: VerifySnpReportOptions): VerifiedSnpState {
  const given = options.report;
  const bytes = given instanceof Uint8Array ? given : (given as Partial<SnpReport> | undefined)?.raw;
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('report', 'report bytes or a parsed SnpReport', given);
  // Re-parsed from the signed bytes so that a hand-edited SnpReport cannot smuggle fields past the signature.
  const report = parseSnpReport(bytes);
  const { signer, chain, product } = verifySnpSigner(options);
  if (report.product !== undefined && report.product !== product) {
    throw snpError('SNP_PRODUCT_MISMATCH', `SNP report CPUID expected a ${product}, got a ${report.product}`);
  }

  checkReportSignature(report, signer);
  const chipIdMasked = checkChipId(report, signer);
  const tcb = {
    current: decodeTcb(report.currentTcb, product),
    reported: decodeTcb(report.reportedTcb, product),
    committed: decodeTcb(report.committedTcb, product),
    launch: decodeTcb(report.launchTcb, product),
  };
  checkSignerTcb(tcb.reported, signer, product);

  return {
    report,
    product,
    productName: signer.productName,
    stepping: signer.stepping,
    signingKey: signer.kind,
    tcb,
    signer: {
      fingerprint: signer.certificate.fingerprint,
      hwId: signer.hwId,
      cspId: signer.cspId,
      notAfter: signer.certificate.notAfter,
    },
    chain: { arkFingerprint: chain.ark.fingerprint, intermediateFingerprint: chain.intermediate.fingerprint },
    chipIdMasked,
  };
}

// verifyDocument: the one entry point that turns an attestation document into a verified machine state,
// dispatching on the variant. Pure: every piece of trust material and the time are passed in.
import { timingSafeEqual } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { verifyAzureVtpm } from '../cloud/azure-vtpm-validator.js';
import { verifyGcpVtpm, type GcpTrust } from '../cloud/gcp-vtpm-validator.js';
import type { AttestationDocument, SnpEvidence, TdxEvidence, TpmEvidence } from '../document/attestation-document.js';
import { parseCcel, replayCcel } from '../eventlog/ccel.js';
import type { EventLog } from '../eventlog/event-log.js';
import type { Policy } from '../policy/policy.js';
import { verifySnpReport, type VerifiedSnpState, type VerifySnpReportOptions } from '../snp/snp-verifier.js';
import type { TdxCollateral } from '../tdx/collateral-verifier.js';
import { verifyTdxQuote, type VerifiedTdxState } from '../tdx/quote-verifier.js';
import type { TpmTrust } from './ak-trust.js';
import { computeBinding } from './binding.js';
import { DocumentVerifyErrorCode } from './document-errors.js';
import { markVerified, type VerifiedMachineState, type VerifiedTpmState } from './machine-state.js';
import { verifyQemuVtpm } from './qemu-vtpm-validator.js';
import type { TpmVerifyOptions } from './tpm-evidence.js';

/** Trust material per evidence kind; each validator uses only its part. */
export interface AttestationTrust {
  /** EK roots and the AK anchor for qemu-vtpm (and TPM evidence of other variants without a cloud anchor). */
  readonly tpm?: TpmTrust;
  /** Google vTPM roots; default the shipped ones. */
  readonly gcp?: GcpTrust;
  /** ARK per product (PEM); default AMD's shipped roots. */
  readonly snp?: { readonly trustedRoots?: VerifySnpReportOptions['trustedRoots'] };
  /** Intel SGX root (PEM); default the shipped one. */
  readonly tdx?: { readonly trustedRoot?: string };
}

/**
 * What the evidence must be bound to: normally the verifier's fresh nonce and the channel key
 * (computeBinding); `qualifyingData` gives the exact value instead, for recorded evidence.
 */
export type ExpectedBinding =
  { readonly nonce: Uint8Array; readonly binding: Uint8Array } | { readonly qualifyingData: Uint8Array };

export interface VerifyDocumentOptions {
  /** Only its verification settings are used here (tpm.allowSha1Banks, tpm.unloggedPcrs, tpm.partiallyLoggedPcrs). */
  readonly policy?: Policy;
}

const REPORT_DATA_SIZE = 64;

function qualifyingDataOf(expected: ExpectedBinding): Buffer {
  return 'qualifyingData' in expected
    ? Buffer.from(expected.qualifyingData)
    : computeBinding(expected.nonce, expected.binding);
}

function missing(what: string, variant: string): VerificationError {
  return new VerificationError(
    DocumentVerifyErrorCode.EVIDENCE_MISSING,
    `${what} expected for variant ${variant}, got none`,
  );
}

/** TEE report data = qualifying data, zero-padded to 64 bytes. */
function checkReportData(actual: Buffer, qualifyingData: Buffer, what: string): void {
  const expected = Buffer.alloc(REPORT_DATA_SIZE);
  if (qualifyingData.length > REPORT_DATA_SIZE) {
    throw new VerificationError(
      DocumentVerifyErrorCode.REPORT_DATA_MISMATCH,
      `expected binding of at most ${REPORT_DATA_SIZE} bytes for ${what}, got ${qualifyingData.length}`,
    );
  }
  qualifyingData.copy(expected);
  if (actual.length !== REPORT_DATA_SIZE || !timingSafeEqual(actual, expected)) {
    throw new VerificationError(
      DocumentVerifyErrorCode.REPORT_DATA_MISMATCH,
      `${what} report data expected ${shortHex(expected)} (the binding to this nonce and channel), got ${shortHex(actual)}`,
    );
  }
}

function tpmOptions(policy: Policy | undefined): TpmVerifyOptions {
  return policy === undefined
    ? {}
    : {
        allowSha1Banks: policy.tpm.allowSha1Banks,
        unloggedPcrs: policy.tpm.unloggedPcrs,
        partiallyLoggedPcrs: policy.tpm.partiallyLoggedPcrs,
      };
}

function tpmEvidenceOf(tpm: TpmEvidence): Parameters<typeof verifyQemuVtpm>[0]['evidence'] {
  return {
    akPublic: tpm.akPublic,
    quotes: tpm.quotes,
    ...(tpm.eventLog === undefined ? {} : { eventLog: tpm.eventLog }),
    ...(tpm.ekCertificate === undefined ? {} : { ekCertificate: tpm.ekCertificate }),
    akCertificateChain: tpm.akCertificateChain,
  };
}

function verifyAnchoredTpm(
  tpm: TpmEvidence,
  trust: AttestationTrust,
  variant: string,
  qualifyingData: Buffer,
  now: Date,
  options: TpmVerifyOptions,
): VerifiedTpmState {
  if (trust.tpm === undefined) throw missing('trust.tpm (EK roots and an AK anchor)', variant);
  return verifyQemuVtpm({
    evidence: tpmEvidenceOf(tpm),
    trust: trust.tpm,
    expectedQualifyingData: qualifyingData,
    now,
    options,
  });
}

/** GCE vTPM evidence: the AK certificate chains to Google's CA (trust.gcp overrides the shipped roots). */
function verifyGcpTpm(
  tpm: TpmEvidence,
  trust: AttestationTrust,
  qualifyingData: Buffer,
  now: Date,
  options: TpmVerifyOptions,
): VerifiedTpmState {
  return verifyGcpVtpm({
    evidence: tpmEvidenceOf(tpm),
    ...(trust.gcp ? { trust: trust.gcp } : {}),
    expectedQualifyingData: qualifyingData,
    now,
    options,
  });
}

function verifySnp(snp: SnpEvidence, trust: AttestationTrust, variant: string, now: Date): VerifiedSnpState {
  if (snp.report === undefined) throw missing('SNP report', variant);
  if (snp.signerCertificate === undefined) throw missing('SNP signer certificate (VCEK/VLEK)', variant);
  return verifySnpReport({
    report: snp.report,
    signer: snp.signerCertificate,
    ...(snp.certificateChain === undefined ? {} : { chain: snp.certificateChain.toString('utf8') }),
    ...(trust.snp?.trustedRoots === undefined ? {} : { trustedRoots: trust.snp.trustedRoots }),
    now,
  });
}

function collateralOf(tdx: TdxEvidence): TdxCollateral | undefined {
  const c = tdx.collateral;
  if (c === undefined) return undefined;
  return {
    tcbInfo: c.tcbInfo,
    tcbInfoIssuerChain: c.tcbInfoIssuerChain.toString('utf8'),
    qeIdentity: c.qeIdentity,
    qeIdentityIssuerChain: c.qeIdentityIssuerChain.toString('utf8'),
    pckCrl: c.pckCrl,
    ...(c.pckCrlIssuerChain === undefined ? {} : { pckCrlIssuerChain: c.pckCrlIssuerChain.toString('utf8') }),
    rootCrl: c.rootCrl,
  };
}

async function verifyTdx(tdx: TdxEvidence, trust: AttestationTrust, now: Date): Promise<VerifiedTdxState> {
  const collateral = collateralOf(tdx);
  return verifyTdxQuote({
    quote: tdx.quote,
    ...(collateral === undefined ? {} : { collateral }),
    ...(trust.tdx?.trustedRoot === undefined ? {} : { trustedRoot: trust.tdx.trustedRoot }),
    now,
  });
}

/** RTMR0-3 must be what the CC event log replays to; only then do its events describe the TD. */
function verifyCcEventLog(tdx: TdxEvidence, state: VerifiedTdxState): EventLog | undefined {
  if (tdx.ccEventLog === undefined || tdx.ccEventLog.length === 0) return undefined;
  const replayed = replayCcel(parseCcel(tdx.ccelTable, tdx.ccEventLog));
  const mismatches = state.quote.body.rtmrs.flatMap((quoted, i) => {
    const fromLog = replayed.rtmrs[i];
    return fromLog !== undefined && fromLog.equals(quoted)
      ? []
      : [`RTMR[${i}] replayed ${fromLog === undefined ? 'nothing' : shortHex(fromLog)}, quoted ${shortHex(quoted)}`];
  });
  if (mismatches.length > 0) {
    throw new VerificationError(
      DocumentVerifyErrorCode.RTMR_REPLAY_MISMATCH,
      `CC event log replay does not reproduce ${mismatches.length} RTMR(s): ${mismatches.join('; ')}`,
    );
  }
  return replayed.log;
}

/**
 * Verifies every part of the document its variant requires and returns what they prove. Throws
 * VerificationError (broken or unbound evidence) or InputError (bad arguments); never judges policy.
 */
export async function verifyDocument(
  doc: AttestationDocument,
  trust: AttestationTrust,
  expected: ExpectedBinding,
  now: Date,
  options: VerifyDocumentOptions = {},
): Promise<VerifiedMachineState> {
  const qd = qualifyingDataOf(expected);
  const tpmOpts = tpmOptions(options.policy);
  const variant = doc.variant;
  const snpEvidence = doc.tee?.kind === 'snp' ? doc.tee : undefined;
  const tdxEvidence = doc.tee?.kind === 'tdx' ? doc.tee : undefined;
  let tpm: VerifiedTpmState | undefined;
  let snp: VerifiedSnpState | undefined;
  let tdx: VerifiedTdxState | undefined;
  let ccEventLog: EventLog | undefined;
  let azureRuntimeClaims: Readonly<Record<string, unknown>> | undefined;

  switch (variant) {
    case 'qemu-vtpm':
    case 'azure-trusted-launch': {
      if (doc.tpm === undefined) throw missing('TPM evidence', variant);
      tpm = verifyAnchoredTpm(doc.tpm, trust, variant, qd, now, tpmOpts);
      break;
    }
    case 'gcp-vtpm': {
      if (doc.tpm === undefined) throw missing('TPM evidence', variant);
      tpm = verifyGcpTpm(doc.tpm, trust, qd, now, tpmOpts);
      break;
    }
    case 'sev-snp':
    case 'gcp-sev-snp':
    case 'aws-sev-snp': {
      if (snpEvidence === undefined) throw missing('SNP evidence', variant);
      snp = verifySnp(snpEvidence, trust, variant, now);
      checkReportData(snp.report.reportData, qd, 'SNP');
      if (variant === 'gcp-sev-snp') {
        if (doc.tpm === undefined) throw missing('TPM evidence', variant);
        tpm = verifyGcpTpm(doc.tpm, trust, qd, now, tpmOpts);
      } else if (doc.tpm !== undefined || variant === 'aws-sev-snp') {
        if (doc.tpm === undefined) throw missing('TPM evidence', variant);
        tpm = verifyAnchoredTpm(doc.tpm, trust, variant, qd, now, tpmOpts);
      }
      break;
    }
    case 'tdx': {
      if (tdxEvidence === undefined) throw missing('TDX evidence', variant);
      tdx = await verifyTdx(tdxEvidence, trust, now);
      checkReportData(tdx.quote.body.reportData, qd, 'TDX');
      ccEventLog = verifyCcEventLog(tdxEvidence, tdx);
      if (doc.tpm !== undefined) tpm = verifyAnchoredTpm(doc.tpm, trust, variant, qd, now, tpmOpts);
      break;
    }
    case 'azure-sev-snp':
    case 'azure-tdx': {
      if (doc.tpm === undefined) throw missing('TPM evidence', variant);
      const hclReport = snpEvidence?.hclReport ?? tdxEvidence?.hclReport;
      if (hclReport === undefined) throw missing('HCL report', variant);
      const azure = await verifyAzureVtpm({
        hclReport,
        ...(snpEvidence?.signerCertificate === undefined
          ? {}
          : {
              snp: {
                signerCertificate: snpEvidence.signerCertificate,
                ...(snpEvidence.certificateChain === undefined
                  ? {}
                  : { certificateChain: snpEvidence.certificateChain.toString('utf8') }),
              },
            }),
        ...(tdxEvidence === undefined
          ? {}
          : (() => {
              const collateral = collateralOf(tdxEvidence);
              return { tdx: { quote: tdxEvidence.quote, ...(collateral === undefined ? {} : { collateral }) } };
            })()),
        tpm: tpmEvidenceOf(doc.tpm),
        expectedQualifyingData: qd,
        now,
        options: tpmOpts,
        ...(trust.snp?.trustedRoots === undefined ? {} : { snpTrustedRoots: trust.snp.trustedRoots }),
        ...(trust.tdx?.trustedRoot === undefined ? {} : { tdxTrustedRoot: trust.tdx.trustedRoot }),
      });
      ({ tpm, snp, tdx } = azure);
      azureRuntimeClaims = azure.runtimeClaims;
      break;
    }
    default: {
      const unknown: string = variant;
      throw new VerificationError(
        DocumentVerifyErrorCode.VARIANT_UNSUPPORTED,
        `variant expected to be known, got ${JSON.stringify(unknown)}`,
      );
    }
  }
  return markVerified({ variant, tpm, snp, tdx, ccEventLog, azureRuntimeClaims });
}

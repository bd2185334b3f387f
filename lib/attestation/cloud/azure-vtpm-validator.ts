// Validator for Azure confidential VMs (azure-sev-snp, azure-tdx): the hardware report inside the HCL
// report is verified, its report data must be the hash of the runtime claims, the claims' HCLAkPub must
// be the quoting AK, and then the vTPM quotes and the event log are verified with that AK. The hardware
// report only measures the paravisor, so guest state comes from the vTPM PCRs (anchors.md §4.3 item 9).
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { verifySnpReport, type VerifiedSnpState } from '../snp/snp-verifier.js';
import type { TdxCollateral } from '../tdx/collateral-verifier.js';
import { verifyTdxQuote, type VerifiedTdxState } from '../tdx/quote-verifier.js';
import { keyFingerprint } from '../verify/ak-trust.js';
import type { VerifiedTpmState } from '../verify/machine-state.js';
import {
  parseAk,
  tpmState,
  verifyTpmEvidence,
  type TpmEvidence,
  type TpmVerifyOptions,
} from '../verify/tpm-evidence.js';
import { AzureErrorCode, hclAkPublicKey, parseHclReport, verifyHclBinding } from './azure-hcl-report.js';

export interface AzureSnpEvidence {
  /** VCEK (DER or PEM) that signed the SNP report. */
  readonly signerCertificate: Uint8Array | string;
  /** ASK + ARK PEM; default: the shipped AMD chain for the signer's product. */
  readonly certificateChain?: string;
}

export interface AzureTdxEvidence {
  /** TD quote made from the HCL report's TDREPORT. */
  readonly quote: Uint8Array;
  readonly collateral?: TdxCollateral;
}

export interface AzureVtpmInput {
  readonly hclReport: Uint8Array;
  readonly snp?: AzureSnpEvidence;
  readonly tdx?: AzureTdxEvidence;
  readonly tpm: TpmEvidence;
  readonly expectedQualifyingData: Uint8Array;
  readonly now: Date;
  readonly options?: TpmVerifyOptions;
  /** Trusted ARK per product (PEM), passed to the SNP verifier; default AMD's shipped roots. */
  readonly snpTrustedRoots?: Parameters<typeof verifySnpReport>[0]['trustedRoots'];
  /** Intel root (PEM) for TDX; default the shipped one. */
  readonly tdxTrustedRoot?: string;
}

export interface VerifiedAzureState {
  readonly tpm: VerifiedTpmState;
  readonly snp: VerifiedSnpState | undefined;
  readonly tdx: VerifiedTdxState | undefined;
  /** The runtime claims the hardware report binds (vm-configuration, user-data, keys). */
  readonly runtimeClaims: Readonly<Record<string, unknown>>;
}

export async function verifyAzureVtpm(input: AzureVtpmInput): Promise<VerifiedAzureState> {
  const hcl = parseHclReport(input.hclReport);
  verifyHclBinding(hcl);
  const ak = parseAk(input.tpm.akPublic);
  const hclAk = hclAkPublicKey(hcl);
  if (!hclAk.equals(ak.key)) {
    throw new VerificationError(
      AzureErrorCode.AK_MISMATCH,
      `quoting AK expected to be the HCL report's HCLAkPub ${keyFingerprint(hclAk).slice(0, 8)}…, got ${keyFingerprint(ak.key).slice(0, 8)}…`,
    );
  }
  let snp: VerifiedSnpState | undefined;
  let tdx: VerifiedTdxState | undefined;
  if (hcl.type === 'snp') {
    if (input.snp === undefined) {
      throw new VerificationError(
        AzureErrorCode.HCL_REPORT_MALFORMED,
        'SNP signer certificate expected for an SNP HCL report, got none',
      );
    }
    snp = verifySnpReport({
      report: hcl.hardwareReport,
      signer: input.snp.signerCertificate,
      ...(input.snp.certificateChain === undefined ? {} : { chain: input.snp.certificateChain }),
      ...(input.snpTrustedRoots === undefined ? {} : { trustedRoots: input.snpTrustedRoots }),
      now: input.now,
    });
  } else {
    if (input.tdx === undefined) {
      throw new VerificationError(
        AzureErrorCode.HCL_REPORT_MALFORMED,
        'TD quote expected for a TDX HCL report, got none',
      );
    }
    tdx = await verifyTdxQuote({
      quote: input.tdx.quote,
      ...(input.tdx.collateral === undefined ? {} : { collateral: input.tdx.collateral }),
      ...(input.tdxTrustedRoot === undefined ? {} : { trustedRoot: input.tdxTrustedRoot }),
      now: input.now,
    });
    // The quote must be made from this HCL report's TDREPORT, or the runtime claims are not what it signs.
    if (!tdx.quote.body.reportData.equals(hcl.reportData)) {
      throw new VerificationError(
        AzureErrorCode.TDX_REPORT_MISMATCH,
        `TD quote report data expected ${shortHex(hcl.reportData)} (from the HCL report), got ${shortHex(tdx.quote.body.reportData)}`,
      );
    }
  }
  const verified = verifyTpmEvidence(ak, input.tpm, input.expectedQualifyingData, input.options);
  const tpm = tpmState(verified, { ek: undefined, akTrust: 'tee-report' });
  return { tpm, snp, tdx, runtimeClaims: hcl.runtimeClaims };
}

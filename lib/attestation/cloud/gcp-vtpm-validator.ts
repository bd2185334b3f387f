// Validator for GCE vTPM evidence (Shielded VM / Confidential VM): the AK certificate issued by Google's
// vTPM CA anchors the AK; then every quote and the event-log replay are checked as for any TPM.
import { VerificationError } from '../../errors.js';
import { parseCertificateBundle } from '../verify/certificate-chain.js';
import { verifyAkCertificate } from '../verify/ak-trust.js';
import type { VerifiedTpmState } from '../verify/machine-state.js';
import {
  parseAk,
  tpmState,
  verifyTpmEvidence,
  type TpmEvidence,
  type TpmVerifyOptions,
} from '../verify/tpm-evidence.js';
import { GCP_AK_INTERMEDIATES_PEM, GCP_AK_ROOTS_PEM } from './gcp-roots.js';

export const GcpErrorCode = {
  /** The AK certificate or an intermediate does not parse or does not chain to a Google root. */
  AK_CHAIN_INVALID: 'GCP_AK_CHAIN_INVALID',
  /** The AK certificate certifies another key than the quoting AK. */
  AK_CERT_MISMATCH: 'GCP_AK_CERT_MISMATCH',
} as const;

/**
 * Firmware logs PCRs 0-9 on GCE; PCR 10 (IMA) and 11-23 have no firmware events (PCRs 17-22 keep their
 * all-ones reset value), so replay covers 0-9 and their values come only from the signed quotes.
 */
export const GCP_UNLOGGED_PCRS: readonly number[] = Array.from({ length: 14 }, (_, i) => i + 10);

export interface GcpTrust {
  /** PEM roots; default the shipped Google vTPM roots. */
  readonly akRoots?: readonly string[];
  /** PEM intermediates tried in addition to those in the evidence; default the shipped ones. */
  readonly akIntermediates?: readonly string[];
}

export interface GcpVtpmInput {
  readonly evidence: TpmEvidence;
  readonly trust?: GcpTrust;
  readonly expectedQualifyingData: Uint8Array;
  readonly now: Date;
  readonly options?: TpmVerifyOptions;
}

export function verifyGcpVtpm(input: GcpVtpmInput): VerifiedTpmState {
  const { evidence, now } = input;
  const code = GcpErrorCode.AK_CHAIN_INVALID;
  const roots = (input.trust?.akRoots ?? GCP_AK_ROOTS_PEM).flatMap((pem, i) =>
    parseCertificateBundle(pem, code, `GCP AK root[${i}]`),
  );
  const intermediates = (input.trust?.akIntermediates ?? GCP_AK_INTERMEDIATES_PEM).flatMap((pem, i) =>
    parseCertificateBundle(pem, code, `GCP AK intermediate[${i}]`),
  );
  const chain = evidence.akCertificateChain ?? [];
  if (chain.length === 0) throw new VerificationError(code, 'AK certificate expected in GCP evidence, got none');
  const ak = parseAk(evidence.akPublic);
  verifyAkCertificate(ak, chain, roots, intermediates, now, { chain: code, mismatch: GcpErrorCode.AK_CERT_MISMATCH });
  const tpm = verifyTpmEvidence(ak, evidence, input.expectedQualifyingData, {
    ...input.options,
    // The platform's unlogged PCRs are added to the policy's, never replaced by them; a PCR the policy lists as
    // partially logged (events allowed, value only from the pinned quote) stays that.
    unloggedPcrs: [...new Set([...GCP_UNLOGGED_PCRS, ...(input.options?.unloggedPcrs ?? [])])].filter(
      (pcr) => !(input.options?.partiallyLoggedPcrs ?? []).includes(pcr),
    ),
  });
  return tpmState(tpm, { ek: undefined, akTrust: 'ak-certificate' });
}

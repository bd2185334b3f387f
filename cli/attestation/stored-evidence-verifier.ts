// Verifies a (stored) attestation document offline with lib's verifyDocument, applies the policy to the
// verified state, and lists the verified facts for display. Throws VerificationError for broken evidence.
import type { AttestationDocument } from '../../lib/attestation/document/index.js';
import type { Policy } from '../../lib/attestation/policy/policy.js';
import { evaluateTpmPolicy } from '../../lib/attestation/policy/tpm-policy.js';
import { mergePolicyResults, type PolicyResult } from '../../lib/attestation/policy-result.js';
import {
  evaluateSnpPolicy,
  formatTcb,
  parseSnpReport,
  type VerifiedSnpState,
} from '../../lib/attestation/snp/index.js';
import { evaluateTdxPolicy, parseTdxQuote, type VerifiedTdxState } from '../../lib/attestation/tdx/index.js';
import type { TpmTrust } from '../../lib/attestation/verify/ak-trust.js';
import { verifyDocument, type AttestationTrust } from '../../lib/attestation/verify/document-verifier.js';
import type { VerifiedMachineState, VerifiedTpmState } from '../../lib/attestation/verify/machine-state.js';
import { InputError } from '../../lib/errors.js';
import { shortHex } from '../../lib/hex.js';
import { parseAttest } from '../../lib/tpm/attest.js';
import { PCR_BANKS } from '../../lib/tpm/pcr.js';
import type { CliTrust } from './evidence-loader.js';
import type { NonceCheck } from './verify-flags.js';
import { fact, type Fact, type VerificationReport } from './verification-report.js';

export const VERIFY_ERROR_CODES = {
  /** The variant needs trust material the command line did not give (--ak-ca or --ak-name). */
  TRUST_MISSING: 'TRUST_MISSING',
} as const;

export interface StoredEvidenceInput {
  readonly document: AttestationDocument;
  readonly trust: CliTrust;
  readonly policy: Policy;
  readonly nonce: NonceCheck;
  readonly now: Date;
  readonly description: string;
  /** Notes from reading the input, shown with the verifier's own. */
  readonly notes?: readonly string[];
}

/** Variants whose TPM AK is anchored by a cloud CA or a TEE report rather than by the caller's trust. */
const SELF_ANCHORED_TPM = ['gcp-vtpm', 'gcp-sev-snp', 'azure-sev-snp', 'azure-tdx'];

export async function verifyStoredEvidence(input: StoredEvidenceInput): Promise<VerificationReport> {
  const { document } = input;
  const state = await verifyDocument(
    document,
    attestationTrust(document, input.trust),
    { qualifyingData: expectedQualifyingData(document, input.nonce) },
    input.now,
    { policy: input.policy },
  );
  return {
    evidence: input.description,
    variant: document.variant,
    facts: [
      fact('nonce', input.nonce.kind === 'exact' ? input.nonce.value.toString('hex') || '(none)' : 'not checked'),
      ...describeState(state),
    ],
    policy: evaluate(state, input.policy),
    notes: [
      ...(input.notes ?? []),
      ...(state.tpm?.notes ?? []),
      ...(input.nonce.kind === 'any'
        ? ['freshness not checked (--any-nonce): any qualifying/report data accepted']
        : []),
      ...(state.tdx !== undefined && state.ccEventLog === undefined
        ? ['no CC event log: RTMR contents are not explained']
        : []),
    ],
  };
}

function evaluate(state: VerifiedMachineState, policy: Policy): PolicyResult {
  return mergePolicyResults(
    ...(state.tpm === undefined ? [] : [evaluateTpmPolicy(state.tpm, policy.tpm, policy.akTrust)]),
    ...(state.snp === undefined ? [] : [evaluateSnpPolicy(state.snp, policy.snp ?? {})]),
    ...(state.tdx === undefined ? [] : [evaluateTdxPolicy(state.tdx, policy.tdx ?? {})]),
  );
}

function attestationTrust(document: AttestationDocument, trust: CliTrust): AttestationTrust {
  const tpm = tpmTrust(trust);
  if (document.tpm !== undefined && !SELF_ANCHORED_TPM.includes(document.variant) && tpm === undefined) {
    throw new InputError(
      VERIFY_ERROR_CODES.TRUST_MISSING,
      `Expected --ak-ca <pem> or --ak-name <hex> to anchor the attestation key of this ${document.variant} evidence but received neither (credential activation needs a live TPM)`,
    );
  }
  return {
    ...(tpm === undefined ? {} : { tpm }),
    ...(trust.akRoots.length === 0 ? {} : { gcp: { akRoots: trust.akRoots } }),
  };
}

function tpmTrust(trust: CliTrust): TpmTrust | undefined {
  if (trust.akNames.length > 0) return { ekRoots: [], ak: { mode: 'pinned-ak-names', akNames: trust.akNames } };
  if (trust.akRoots.length > 0) return { ekRoots: [], ak: { mode: 'ak-certificate', akRoots: trust.akRoots } };
  return undefined;
}

/**
 * The value the evidence must carry. With --any-nonce it is read from the (not yet verified) evidence
 * itself, so the binding check passes by construction and the report says so.
 */
function expectedQualifyingData(document: AttestationDocument, nonce: NonceCheck): Buffer {
  if (nonce.kind === 'exact') return nonce.value;
  const tee = document.tee;
  if (tee?.kind === 'snp' && tee.report !== undefined) return parseSnpReport(tee.report).reportData;
  if (tee?.kind === 'tdx') return parseTdxQuote(tee.quote).body.reportData;
  const attest = document.tpm?.quotes[0]?.attest;
  return attest === undefined ? Buffer.alloc(0) : parseAttest(attest).extraData;
}

function describeState(state: VerifiedMachineState): Fact[] {
  return [
    ...(state.snp === undefined ? [] : snpFacts(state.snp)),
    ...(state.tdx === undefined ? [] : tdxFacts(state.tdx)),
    ...(state.ccEventLog === undefined
      ? []
      : [fact('CC event log', `${state.ccEventLog.events.length} events, replay reproduces RTMR0-3`)]),
    ...(state.tpm === undefined ? [] : tpmFacts(state.tpm)),
  ];
}

function snpFacts(state: VerifiedSnpState): Fact[] {
  const report = state.report;
  const p = report.policy;
  return [
    fact('product', state.productName),
    fact('signing key', `${state.signingKey.toUpperCase()} ${state.signer.fingerprint.slice(0, 16)}…`),
    fact('AMD root (ARK)', `${state.chain.arkFingerprint.slice(0, 16)}…`),
    fact('report version', String(report.version)),
    fact('measurement', report.measurement.toString('hex')),
    fact('report data', report.reportData.toString('hex')),
    fact('host data', report.hostData.toString('hex')),
    fact('VMPL', String(report.vmpl)),
    fact(
      'guest policy',
      `0x${p.raw.toString(16)} (debug ${onOff(p.debugAllowed)}, SMT ${onOff(p.smtAllowed)}, migration agent ${onOff(p.migrateMaAllowed)}, ABI ≥ ${p.abiMajor}.${p.abiMinor})`,
    ),
    fact('reported TCB', formatTcb(state.tcb.reported)),
    fact('committed TCB', formatTcb(state.tcb.committed)),
    fact('firmware', `${report.currentMajor}.${report.currentMinor} build ${report.currentBuild}`),
    fact('chip ID', state.chipIdMasked ? 'masked' : shortHex(report.chipId, 8)),
  ];
}

function tdxFacts(state: VerifiedTdxState): Fact[] {
  const body = state.quote.body;
  return [
    fact('quote version', String(state.quote.header.version)),
    fact('PCK FMSPC', state.pck.fmspc.toString('hex')),
    fact('TCB status', state.tcbStatus ?? 'not evaluated (no collateral)'),
    fact('QE TCB status', state.qeTcbStatus ?? 'not evaluated (no collateral)'),
    fact('MRTD', body.mrTd.toString('hex')),
    ...body.rtmrs.map((rtmr, i) => fact(`RTMR${i}`, rtmr.toString('hex'))),
    fact('report data', body.reportData.toString('hex')),
    fact('TD attributes', body.tdAttributes.toString('hex')),
    fact('TEE TCB SVN', body.teeTcbSvn.toString('hex')),
  ];
}

function tpmFacts(state: VerifiedTpmState): Fact[] {
  const facts = [fact('AK name', state.akName.toString('hex')), fact('AK anchored by', state.akTrust)];
  if (state.ek !== undefined) facts.push(fact('EK', `${state.ek.fingerprint.slice(0, 16)}…`));
  for (const bank of PCR_BANKS) {
    for (const [index, value] of Object.entries(state.pcrs[bank] ?? {})) {
      facts.push(fact(`PCR[${index}] (${bank})`, value.toString('hex')));
    }
  }
  facts.push(
    fact('event log', state.eventLog === undefined ? 'none' : `${state.events.length} events in replay-verified PCRs`),
    fact('Secure Boot', state.secureBoot === undefined ? 'unknown' : onOff(state.secureBoot.enabled)),
  );
  return facts;
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

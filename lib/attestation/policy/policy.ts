// The attestation policy as typed data: what a verified machine state must look like to be accepted.
// Parsed once at the edge (policy-parser.ts); the evaluators only read it. Every field has a secure default.
import type { PcrBank } from '../../tpm/pcr.js';
import type { SnpPolicy } from '../snp/snp-policy.js';
import type { TdxPolicy } from '../tdx/tdx-policy.js';

/** How a PCR mismatch is reported: a violation (`enforce`) or only a warning (`warn`). */
export type PcrMode = 'enforce' | 'warn';

/** One PCR's rule: its value must be one of `expected` (several allowed values, e.g. during an upgrade). */
export interface PcrRule {
  readonly expected: readonly Buffer[];
  readonly mode: PcrMode;
}

/**
 * How the attestation key (AK) is anchored to hardware:
 * - `credential-activation`: the EK certificate chains to a manufacturer CA and the caller proved, by
 *   MakeCredential/ActivateCredential, that the AK lives in that EK's TPM;
 * - `ak-certificate`: an AK certificate chains to a configured (or shipped cloud) root;
 * - `pinned-ak-names`: the AK's name is in an admin-supplied list;
 * - `tee-report`: the AK is named inside a verified TEE report (Azure HCL runtime data).
 * There is deliberately no mode for "trust the AK the document carries".
 */
export const AK_TRUST_MODES = ['credential-activation', 'ak-certificate', 'pinned-ak-names', 'tee-report'] as const;
export type AkTrustMode = (typeof AK_TRUST_MODES)[number];

/** Options of the event-log rules (lib/attestation/eventlog `checkEventLogRules`). */
export interface EventLogRulesPolicy {
  /** Check the rules at all (default true). */
  readonly enabled: boolean;
  /** Accept EV_EFI_BOOT_SERVICES_APPLICATION in PCR 4 before the "Calling EFI Application" event. */
  readonly allowEfiAppBeforeCallingEvent: boolean;
}

export interface TpmPolicy {
  /** Expected PCR values per bank and index. PCRs not named here are not checked. */
  readonly pcrs: Partial<Record<PcrBank, Readonly<Record<number, PcrRule>>>>;
  /** Accept SHA-1 PCR banks and SHA-1 quote signatures (default false: SHA-1 collisions are practical). */
  readonly allowSha1Banks: boolean;
  /**
   * PCRs that have no event in the firmware event log, so replay cannot reproduce them; their value is
   * still taken from the signed quote. Default [15, 16, 23]: PCR 15 is extended by the Bootstrapper with
   * the cluster measurement (never by firmware), PCR 16 is the debug PCR and PCR 23 the application PCR,
   * neither of which firmware logs. Pin them in `pcrs` when their value matters (PCR 15 does).
   */
  readonly unloggedPcrs: readonly number[];
  /**
   * PCRs whose firmware-log events are only a prefix of their extensions: runtime components extend them after
   * the log (PCR 11 of the node image: systemd-stub logs its EV_IPL events, systemd-pcrphase 252 extends the boot
   * phases without logging). Replay does not reproduce them, their value comes from the signed quote only, so
   * the parser requires them pinned in `pcrs`; their events never count as verified. Default [].
   */
  readonly partiallyLoggedPcrs: readonly number[];
  /**
   * For PCRs that are not reproducible from the image alone (e.g. IMA or boot-time configuration), the
   * event digests allowed in the (replay-verified) event log, per bank and PCR.
   */
  readonly allowedEvents: Partial<Record<PcrBank, Readonly<Record<number, readonly Buffer[]>>>>;
  /** Require Secure Boot to be enabled according to the replay-verified PCR 7 events (default false). */
  readonly requireSecureBoot: boolean;
  readonly eventLogRules: EventLogRulesPolicy;
}

/** The whole policy. `snp` and `tdx` are evaluated by lib/attestation/snp and lib/attestation/tdx. */
export interface Policy {
  readonly tpm: TpmPolicy;
  /** Unset: an SNP report is accepted on its signature alone (every unchecked field is reported as a warning). */
  readonly snp: SnpPolicy | undefined;
  readonly tdx: TdxPolicy | undefined;
  /** Accepted AK anchors; a state anchored another way is a violation. Default: every anchored mode. */
  readonly akTrust: readonly AkTrustMode[];
}

export const DEFAULT_UNLOGGED_PCRS: readonly number[] = [15, 16, 23];

export const DEFAULT_TPM_POLICY: TpmPolicy = {
  pcrs: {},
  allowSha1Banks: false,
  unloggedPcrs: DEFAULT_UNLOGGED_PCRS,
  partiallyLoggedPcrs: [],
  allowedEvents: {},
  requireSecureBoot: false,
  eventLogRules: { enabled: true, allowEfiAppBeforeCallingEvent: false },
};

export const DEFAULT_POLICY: Policy = {
  tpm: DEFAULT_TPM_POLICY,
  snp: undefined,
  tdx: undefined,
  akTrust: AK_TRUST_MODES,
};

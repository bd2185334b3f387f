// What a validator returns: only facts that a signature or a trusted root covers. Policy evaluation
// consumes these types only, so unverified evidence cannot reach a policy decision by construction.
import type { KeyObject } from 'node:crypto';
import type { PcrValues } from '../../tpm/pcr.js';
import type { AkTrustMode } from '../policy/policy.js';
import type { EventLog, TcgEvent } from '../eventlog/event-log.js';
import type { VerifiedSnpState } from '../snp/snp-verifier.js';
import type { VerifiedTdxState } from '../tdx/quote-verifier.js';

declare const verified: unique symbol;

export interface TpmState {
  /** PCR values taken ONLY from the signed selections of the verified quotes. */
  readonly pcrs: PcrValues;
  /**
   * The event log, once its replay reproduced every signed PCR it covers; undefined when the evidence
   * carried none (then `events` is empty and `secureBoot` unknown).
   */
  readonly eventLog: EventLog | undefined;
  /** Events of `eventLog` in PCRs whose signed value the replay reproduced. */
  readonly events: readonly TcgEvent[];
  /** Secure Boot from the replay-verified PCR 7 events; undefined without an event log. */
  readonly secureBoot: { readonly enabled: boolean } | undefined;
  /** Endorsement key, when an EK certificate was verified (fingerprint = RFC 7638 JWK thumbprint, hex). */
  readonly ek: { readonly fingerprint: string; readonly public: KeyObject } | undefined;
  /** TPM name of the AK (nameAlg ‖ H(TPMT_PUBLIC)). */
  readonly akName: Buffer;
  /** How the AK was anchored. */
  readonly akTrust: AkTrustMode;
  /** Things the verifier deliberately left out (e.g. a SHA-1 quote that was not allowed). */
  readonly notes: readonly string[];
}

export type VerifiedTpmState = TpmState & { readonly [verified]: true };

/** Marks a state as verified. Only validators call this, after every check passed. */
export function markVerified<T extends object>(state: T): T & { readonly [verified]: true } {
  return Object.freeze(state) as T & { readonly [verified]: true };
}

/** Everything one attestation document proved, per evidence kind. */
export interface MachineState {
  readonly variant: string;
  /** TPM state, when the variant carries TPM evidence. */
  readonly tpm: VerifiedTpmState | undefined;
  readonly snp: VerifiedSnpState | undefined;
  readonly tdx: VerifiedTdxState | undefined;
  /** TDX: RTMR0-3 reproduced by replaying the CC event log (undefined when no log was given). */
  readonly ccEventLog: EventLog | undefined;
  /** Azure: the runtime claims (vm-configuration, user-data) bound by the hardware report. */
  readonly azureRuntimeClaims: Readonly<Record<string, unknown>> | undefined;
}

export type VerifiedMachineState = MachineState & { readonly [verified]: true };

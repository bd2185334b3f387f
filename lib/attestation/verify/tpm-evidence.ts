// The TPM part every TPM-based validator shares: AK shape, all quotes, event-log replay against exactly
// the signed PCRs. Trust in the AK is established separately (ak-trust.ts, or the cloud validators).
import { VerificationError } from '../../errors.js';
import type { PcrBank, PcrValues } from '../../tpm/pcr.js';
import { parsePublic, type TpmPublic } from '../../tpm/public-area.js';
import { objectName } from '../../tpm/object-name.js';
import type { EventLog, TcgEvent } from '../eventlog/event-log.js';
import { parseEventLog } from '../eventlog/event-log-parser.js';
import { verifyReplay } from '../eventlog/replay.js';
import { secureBootState } from '../eventlog/secure-boot-state.js';
import { DEFAULT_UNLOGGED_PCRS } from '../policy/policy.js';
import { checkAkAttributes, type VerifiedEk } from './ak-trust.js';
import { markVerified, type VerifiedTpmState } from './machine-state.js';
import type { AkTrustMode } from '../policy/policy.js';
import { verifyTpmQuotes, type TpmQuoteEvidence } from './tpm-quotes.js';
import { TpmVerifyErrorCode } from './tpm-verify-errors.js';

/** The TPM evidence of an attestation document (proto TpmEvidence). */
export interface TpmEvidence {
  /** TPMT_PUBLIC of the AK. */
  readonly akPublic: Uint8Array;
  readonly quotes: readonly TpmQuoteEvidence[];
  /** Raw TCG event log; empty or absent when the node has none. */
  readonly eventLog?: Uint8Array;
  /** EK certificate (DER); empty or absent when not provided. */
  readonly ekCertificate?: Uint8Array;
  /** AK certificate (DER) first, then intermediates. */
  readonly akCertificateChain?: readonly Uint8Array[];
}

/** Settings from the policy that change what verification accepts (policy.tpm). */
export interface TpmVerifyOptions {
  /** Use SHA-1 banks and accept SHA-1 quote signatures (policy.tpm.allowSha1Banks, default false). */
  readonly allowSha1Banks?: boolean;
  /** PCRs replay does not have to reproduce (policy.tpm.unloggedPcrs, default [15, 16, 23]). */
  readonly unloggedPcrs?: readonly number[];
  /**
   * PCRs whose log is only a prefix of their extensions (policy.tpm.partiallyLoggedPcrs, default []): not
   * compared with the replay, and their events are not returned as verified.
   */
  readonly partiallyLoggedPcrs?: readonly number[];
}

export interface VerifiedTpmEvidence {
  readonly ak: TpmPublic;
  readonly akName: Buffer;
  readonly pcrs: PcrValues;
  readonly eventLog: EventLog | undefined;
  readonly events: readonly TcgEvent[];
  readonly secureBoot: { readonly enabled: boolean } | undefined;
  readonly notes: readonly string[];
}

/** Parses the AK and refuses keys that could sign something other than a TPM-generated quote. */
export function parseAk(akPublic: Uint8Array): TpmPublic {
  if (!(akPublic instanceof Uint8Array) || akPublic.length === 0) {
    throw new VerificationError(
      TpmVerifyErrorCode.EVIDENCE_MALFORMED,
      'AK public area expected in the evidence, got none',
    );
  }
  const ak = parsePublic(akPublic);
  checkAkAttributes(ak);
  return ak;
}

/**
 * Verifies quotes (with the given AK) and replays the event log against exactly the signed PCRs.
 * Every signed PCR of every replayed bank must be reproduced, except `unloggedPcrs` and `partiallyLoggedPcrs`.
 */
export function verifyTpmEvidence(
  ak: TpmPublic,
  evidence: TpmEvidence,
  expectedQualifyingData: Uint8Array,
  options: TpmVerifyOptions = {},
): VerifiedTpmEvidence {
  const allowSha1 = options.allowSha1Banks === true;
  const unloggedPcrs = options.unloggedPcrs ?? DEFAULT_UNLOGGED_PCRS;
  const partiallyLoggedPcrs = options.partiallyLoggedPcrs ?? [];
  const quotes = verifyTpmQuotes(ak, evidence.quotes, expectedQualifyingData, allowSha1);
  const notes = [...quotes.notes];
  const akName = objectName(ak);

  const logBytes = evidence.eventLog;
  if (logBytes === undefined || logBytes.length === 0) {
    notes.push('no event log in the evidence: events and Secure Boot state are unknown');
    return { ak, akName, pcrs: quotes.pcrs, eventLog: undefined, events: [], secureBoot: undefined, notes };
  }
  const eventLog = parseEventLog(logBytes);
  const banks = (Object.keys(quotes.pcrs) as PcrBank[]).filter((bank) => eventLog.banks.includes(bank));
  if (banks.length === 0) {
    throw new VerificationError(
      TpmVerifyErrorCode.EVENTLOG_BANK_UNAVAILABLE,
      `event log expected digests for a quoted bank (${Object.keys(quotes.pcrs).join(', ')}), got only ${eventLog.banks.join(', ') || 'none'}`,
    );
  }
  const replayed: Partial<Record<PcrBank, Readonly<Record<number, Buffer>>>> = {};
  for (const bank of banks) {
    const values = quotes.pcrs[bank];
    if (values !== undefined) replayed[bank] = values;
  }
  verifyReplay(eventLog, replayed, {
    unloggedPcrs: [...unloggedPcrs],
    partiallyLoggedPcrs: [...partiallyLoggedPcrs],
  });

  // Only events in PCRs whose signed value the replay reproduced count as verified.
  const covered = new Set<number>();
  for (const bank of banks) {
    for (const key of Object.keys(quotes.pcrs[bank] ?? {})) {
      const index = Number(key);
      if (!unloggedPcrs.includes(index) && !partiallyLoggedPcrs.includes(index)) covered.add(index);
    }
  }
  for (const bank of Object.keys(quotes.pcrs)) {
    if (!banks.includes(bank as PcrBank)) notes.push(`bank ${bank} not replayed: the event log has no ${bank} digests`);
  }
  const events = eventLog.events.filter((event) => covered.has(event.pcr));
  // Secure Boot is derived on first use: reading the PCR 7 variables costs as much as the replay itself.
  let secureBoot: { readonly enabled: boolean } | undefined | null = null;
  return {
    ak,
    akName,
    pcrs: quotes.pcrs,
    eventLog,
    events,
    get secureBoot() {
      secureBoot ??= covered.has(7) ? { enabled: secureBootState(eventLog).enabled } : undefined;
      return secureBoot;
    },
    notes,
  };
}

/** The verified TPM state of verified evidence plus its AK anchor (the only way validators build one). */
export function tpmState(
  tpm: VerifiedTpmEvidence,
  anchor: { readonly ek: VerifiedEk | undefined; readonly akTrust: AkTrustMode },
): VerifiedTpmState {
  return markVerified({
    pcrs: tpm.pcrs,
    eventLog: tpm.eventLog,
    events: tpm.events,
    get secureBoot() {
      return tpm.secureBoot;
    },
    ek: anchor.ek,
    akName: tpm.akName,
    akTrust: anchor.akTrust,
    notes: tpm.notes,
  });
}

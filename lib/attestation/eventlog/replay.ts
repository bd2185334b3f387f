// Replays a TPM event log into PCR values and compares them with quoted PCRs.
import { createHash } from 'node:crypto';
import { invalidArgument, VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { isPcrBank, PCR_COUNT, PCR_DIGEST_SIZE, type PcrBank, type PcrValues } from '../../tpm/pcr.js';
import type { EventLog } from './event-log.js';
import { EV } from './event-types.js';
import { EVENTLOG_ERROR } from './eventlog-errors.js';

/** PCRs 17-22 (DRTM) reset to all-ones at TPM startup; a dynamic launch resets them to zero first. */
const DRTM_PCRS = { first: 17, last: 22 } as const;

export interface VerifyReplayOptions {
  /**
   * PCRs extended by software that does not write to this log (e.g. IMA's PCR 10). They are not compared,
   * and the log must not contain events for them.
   */
  readonly unloggedPcrs?: readonly number[];
  /**
   * PCRs whose logged events are only a prefix of their extensions (e.g. PCR 11: systemd-stub logs its EV_IPL
   * events, systemd-pcrphase extends later without logging). They are not compared either, but may have events;
   * their value must come from the signed quote (pinned by policy), and their events prove nothing.
   */
  readonly partiallyLoggedPcrs?: readonly number[];
}

/** Value of a PCR at TPM startup: zero, all-ones for DRTM PCRs 17-22, 00…0<locality> for PCR0. */
export function pcrResetValue(pcr: number, bank: PcrBank, startupLocality?: number): Buffer {
  const size = PCR_DIGEST_SIZE[bank];
  if (pcr >= DRTM_PCRS.first && pcr <= DRTM_PCRS.last) return Buffer.alloc(size, 0xff);
  const value = Buffer.alloc(size);
  if (pcr === 0 && startupLocality !== undefined) value[size - 1] = startupLocality;
  return value;
}

/** Where replay starts: the reset value, except that logged DRTM PCRs were reset to zero by the launch. */
function replayStart(pcr: number, bank: PcrBank, startupLocality?: number): Buffer {
  if (pcr >= DRTM_PCRS.first && pcr <= DRTM_PCRS.last) return Buffer.alloc(PCR_DIGEST_SIZE[bank]);
  return pcrResetValue(pcr, bank, startupLocality);
}

/**
 * PCR = H(PCR ‖ digest) for every event except EV_NO_ACTION, starting from the reset value. Returns the PCRs
 * that at least one event extends. Throws EVENTLOG_BANK_MISSING if a measured event has no digest for `bank`.
 */
export function replayEventLog(log: EventLog, bank: PcrBank): Record<number, Buffer> {
  if (!isPcrBank(bank)) throw invalidArgument('bank', 'one of sha1, sha256, sha384, sha512', bank);
  const pcrs: Record<number, Buffer> = {};
  for (const event of log.events) {
    if (event.type === EV.NO_ACTION) continue;
    const digest = event.digests[bank];
    if (digest === undefined) {
      throw new VerificationError(
        EVENTLOG_ERROR.BANK_MISSING,
        `Expected a ${bank} digest in every measured event, found none in event ${event.seq} (${event.typeName}); ` +
          `the log carries ${log.banks.join(', ') || 'no'} digests`,
      );
    }
    const current = pcrs[event.pcr] ?? replayStart(event.pcr, bank, log.startupLocality);
    pcrs[event.pcr] = createHash(bank).update(current).update(digest).digest();
  }
  return pcrs;
}

/**
 * Requires the replay to reproduce every PCR in `pcrs`: PCRs the log extends must equal the replay, the
 * others must equal their reset value unless listed in `unloggedPcrs`; `partiallyLoggedPcrs` are not compared.
 * All mismatches are reported together as VerificationError('EVENTLOG_REPLAY_MISMATCH').
 */
export function verifyReplay(log: EventLog, pcrs: PcrValues, options: VerifyReplayOptions = {}): void {
  const unlogged = new Set(validPcrList('unloggedPcrs', options.unloggedPcrs));
  const partiallyLogged = new Set(validPcrList('partiallyLoggedPcrs', options.partiallyLoggedPcrs));
  const inBoth = [...partiallyLogged].filter((pcr) => unlogged.has(pcr));
  if (inBoth.length > 0) {
    throw invalidArgument('partiallyLoggedPcrs', 'PCRs not also listed in unloggedPcrs', inBoth);
  }
  const mismatches: string[] = [];
  for (const [bankName, values] of Object.entries(pcrs) as [string, PcrValues[PcrBank]][]) {
    if (!isPcrBank(bankName)) throw invalidArgument('pcrs', 'banks sha1, sha256, sha384 or sha512', bankName);
    if (values === undefined || Object.keys(values).length === 0) continue;
    const bank = bankName;
    let replayed: Record<number, Buffer>;
    try {
      replayed = replayEventLog(log, bank);
    } catch (error) {
      if (error instanceof VerificationError && error.code === EVENTLOG_ERROR.BANK_MISSING) {
        mismatches.push(`${bank} bank cannot be replayed: ${error.message}`);
        continue;
      }
      throw error;
    }
    for (const [indexText, quoted] of Object.entries(values)) {
      const pcr = Number(indexText);
      if (!Number.isInteger(pcr) || pcr < 0 || pcr >= PCR_COUNT) {
        throw invalidArgument(`pcrs.${bank}`, `PCR indices 0-${PCR_COUNT - 1}`, indexText);
      }
      if (!Buffer.isBuffer(quoted)) throw invalidArgument(`pcrs.${bank}[${pcr}]`, 'a Buffer', quoted);
      const fromLog = replayed[pcr];
      if (unlogged.has(pcr)) {
        if (fromLog !== undefined) {
          mismatches.push(`PCR[${pcr}] (${bank}) is listed in unloggedPcrs, expected no events for it, got some`);
        }
        continue;
      }
      if (partiallyLogged.has(pcr)) continue;
      const expected = fromLog ?? pcrResetValue(pcr, bank, log.startupLocality);
      if (!expected.equals(quoted)) {
        const origin = fromLog === undefined ? 'reset value (no events)' : 'replayed';
        mismatches.push(`PCR[${pcr}] (${bank}) ${origin} ${shortHex(expected)}, quoted ${shortHex(quoted)}`);
      }
    }
  }
  if (mismatches.length > 0) {
    throw new VerificationError(
      EVENTLOG_ERROR.REPLAY_MISMATCH,
      `Event log replay does not reproduce ${mismatches.length} PCR value(s):\n${mismatches.map((m) => `  - ${m}`).join('\n')}`,
    );
  }
}

function validPcrList(name: string, value: unknown): readonly number[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    !value.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < PCR_COUNT)
  ) {
    throw invalidArgument(name, `an array of PCR indices 0-${PCR_COUNT - 1}`, value);
  }
  return value as readonly number[];
}

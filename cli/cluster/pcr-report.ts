// The PCR view of one verified node: for each PCR, what the policy expects and what the signed quote says,
// and for a mismatch the replay-verified event-log entries that produced the value, so the admin sees which
// boot component differs (a changed kernel command line, another boot loader, a foreign cluster in PCR 15).
import type { TcgEvent } from '../../lib/attestation/eventlog/event-log.js';
import { decodeEventText } from '../../lib/attestation/eventlog/event-text.js';
import type { Policy } from '../../lib/attestation/policy/policy.js';
import type { VerifiedMachineState } from '../../lib/attestation/verify/machine-state.js';
import type { PcrBank } from '../../lib/tpm/pcr.js';

export interface PcrRow {
  readonly bank: PcrBank;
  readonly index: number;
  /** Accepted values (hex); empty when the policy does not pin this PCR. */
  readonly expected: readonly string[];
  /** The quoted value (hex); undefined when the quote does not cover the PCR. */
  readonly actual: string | undefined;
  /** True/false for pinned PCRs; undefined when nothing is expected. */
  readonly ok: boolean | undefined;
  /** `warn` rules never fail verification. */
  readonly mode: 'enforce' | 'warn' | undefined;
}

export interface EventSummary {
  readonly seq: number;
  readonly type: string;
  /** What the event says it measured (text, image path, variable name), or its size. */
  readonly description: string;
  /** The event's digest in the row's bank (hex), as extended into the PCR. */
  readonly digest: string;
}

export interface PcrExplanation {
  readonly bank: PcrBank;
  readonly index: number;
  /** Events of that PCR in the replay-verified log; empty when the PCR has no logged events (e.g. PCR 15). */
  readonly events: readonly EventSummary[];
  /** Why there are no events, when there are none. */
  readonly note?: string;
}

/** Rows for every PCR the quote covers or the policy pins, in bank then index order. */
export function pcrRows(state: VerifiedMachineState, policy: Policy): PcrRow[] {
  const quoted = state.tpm?.pcrs ?? {};
  const banks = new Set<PcrBank>([
    ...(Object.keys(quoted) as PcrBank[]),
    ...(Object.keys(policy.tpm.pcrs) as PcrBank[]),
  ]);
  const rows: PcrRow[] = [];
  for (const bank of [...banks].sort()) {
    const values = quoted[bank] ?? {};
    const rules = policy.tpm.pcrs[bank] ?? {};
    const indexes = new Set([...Object.keys(values), ...Object.keys(rules)].map(Number));
    for (const index of [...indexes].sort((a, b) => a - b)) {
      const rule = rules[index];
      const actual = values[index]?.toString('hex');
      const expected = rule?.expected.map((value) => value.toString('hex')) ?? [];
      rows.push({
        bank,
        index,
        expected,
        actual,
        ok: rule === undefined ? undefined : actual !== undefined && expected.includes(actual),
        mode: rule?.mode,
      });
    }
  }
  return rows;
}

/** The event-log entries behind each mismatched row. */
export function explainMismatches(state: VerifiedMachineState, rows: readonly PcrRow[]): PcrExplanation[] {
  const log = state.tpm?.eventLog;
  return rows
    .filter((row) => row.ok === false)
    .map((row) => {
      if (log === undefined) {
        return { bank: row.bank, index: row.index, events: [], note: 'the node sent no event log' };
      }
      const events = log.events
        .filter((event) => log.registers === 'tpm-pcr' && event.pcr === row.index)
        .filter((event) => event.digests[row.bank] !== undefined)
        .map((event) => summarize(event, row.bank));
      if (events.length > 0) return { bank: row.bank, index: row.index, events };
      return {
        bank: row.bank,
        index: row.index,
        events,
        note:
          row.index === 15
            ? 'PCR 15 has no firmware events: it holds the cluster measurement the Bootstrapper extends (zero = no cluster yet, another value = another cluster)'
            : 'the event log has no events for this PCR',
      };
    });
}

function summarize(event: TcgEvent, bank: PcrBank): EventSummary {
  return {
    seq: event.seq,
    type: event.typeName,
    description: describeEvent(event),
    digest: event.digests[bank]?.toString('hex') ?? '',
  };
}

const MAX_DESCRIPTION = 120;

function describeEvent(event: TcgEvent): string {
  const content = event.content;
  let text: string | undefined;
  switch (content?.kind) {
    case 'action':
    case 'ipl':
      text = content.text;
      break;
    case 'efi-variable':
      text = `variable ${content.variable.name}`;
      break;
    case 'efi-image-load':
      text = `image of ${content.image.imageLength} bytes`;
      break;
    case 'separator':
      text = `separator 0x${content.value.toString(16).padStart(8, '0')}`;
      break;
    case 's-crtm-version':
      text = content.text ?? content.guid ?? 'S-CRTM version';
      break;
    default:
      text = printable(event.data);
  }
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DESCRIPTION ? `${oneLine.slice(0, MAX_DESCRIPTION - 1)}…` : oneLine;
}

/** Event data as text when it is text, else its size. */
function printable(data: Buffer): string {
  if (data.length === 0) return 'no data';
  const { text } = decodeEventText(data);
  return text.length > 0 && /^[\x20-\x7e\t\r\n]+$/.test(text) ? text : `${data.length} bytes of data`;
}

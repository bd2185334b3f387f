// TDX CC event log: the ACPI CCEL table (UEFI 2.10 / GHCI) points at a fixed-size log area holding a
// SHA-384 crypto-agile log whose "PCR index" is a CC measurement register: 0 = MRTD (never extended by
// the log), 1..4 = RTMR0..3. Replay: RTMR[i] = SHA-384(RTMR[i] ‖ digest), starting at zero.
import { createHash } from 'node:crypto';
import { invalidArgument, VerificationError } from '../../errors.js';
import type { EventLog } from './event-log.js';
import { maxEventsOf, parseRecords, toBuffer, type EventLogParseOptions } from './event-log-parser.js';
import { verifyEventDigests } from './digest-consistency.js';
import { EV } from './event-types.js';
import { EVENTLOG_ERROR, malformed } from './eventlog-errors.js';

export interface CcelTable {
  readonly revision: number;
  readonly oemId: string;
  /** 1 = SEV, 2 = TDX. */
  readonly ccType: number;
  readonly ccSubtype: number;
  /** Log Area Minimum Length and Start Address. */
  readonly logAreaLength: bigint;
  readonly logAreaAddress: bigint;
}

export interface CcelLog {
  readonly table?: CcelTable;
  readonly log: EventLog;
}

export interface ReplayedCcel {
  /** RTMR0..3, 48 bytes each. */
  readonly rtmrs: readonly Buffer[];
  readonly log: EventLog;
}

const CCEL_TABLE_SIZE = 56;
const RTMR_COUNT = 4;
const RTMR_SIZE = 48;
const CC_TYPE_TDX = 2;

export function parseCcelTable(table: Uint8Array): CcelTable {
  if (!(table instanceof Uint8Array)) throw invalidArgument('CCEL table', 'a Buffer or Uint8Array', table);
  const bytes = toBuffer(table);
  if (bytes.length < CCEL_TABLE_SIZE)
    throw malformed(`a ${CCEL_TABLE_SIZE}-byte CCEL table`, 0, `${bytes.length} bytes`);
  const signature = bytes.subarray(0, 4).toString('latin1');
  if (signature !== 'CCEL') throw malformed('ACPI signature "CCEL"', 0, JSON.stringify(signature));
  const length = bytes.readUInt32LE(4);
  if (length !== bytes.length) throw malformed(`table length ${bytes.length}`, 4, `${length}`);
  const sum = bytes.reduce((acc, b) => (acc + b) & 0xff, 0);
  if (sum !== 0) throw malformed('ACPI checksum summing to 0', 9, `sum 0x${sum.toString(16)}`);
  return {
    revision: bytes.readUInt8(8),
    oemId: bytes.subarray(10, 16).toString('latin1').trimEnd(),
    ccType: bytes.readUInt8(36),
    ccSubtype: bytes.readUInt8(37),
    logAreaLength: bytes.readBigUInt64LE(40),
    logAreaAddress: bytes.readBigUInt64LE(48),
  };
}

/**
 * Parses the CC event log area (stopping at the first all-0xff / all-zero record header) and checks event
 * digests. With a table, it must be a TDX CCEL table and bounds the log area to its declared length.
 */
export function parseCcel(
  table: Uint8Array | undefined,
  data: Uint8Array,
  options: EventLogParseOptions = {},
): CcelLog {
  if (!(data instanceof Uint8Array)) throw invalidArgument('CC event log', 'a Buffer or Uint8Array', data);
  let area = toBuffer(data);
  const parsedTable = table === undefined ? undefined : parseCcelTable(table);
  if (parsedTable !== undefined) {
    if (parsedTable.ccType !== CC_TYPE_TDX)
      throw malformed(`CC type ${CC_TYPE_TDX} (TDX)`, 36, `${parsedTable.ccType}`);
    if (parsedTable.logAreaLength < BigInt(area.length)) area = area.subarray(0, Number(parsedTable.logAreaLength));
  }
  const log = parseRecords(area, {
    registers: 'cc-mr',
    maxIndex: RTMR_COUNT,
    stopAtTerminator: true,
    maxEvents: maxEventsOf(options),
  });
  if (log.events.length > 0 && (log.format !== 'crypto-agile' || !log.banks.includes('sha384'))) {
    throw malformed(
      'a crypto-agile CC event log with SHA-384 digests',
      0,
      `${log.format} with ${log.banks.join(', ') || 'no'} banks`,
    );
  }
  verifyEventDigests(log);
  return parsedTable === undefined ? { log } : { table: parsedTable, log };
}

export function replayCcel(ccel: CcelLog): ReplayedCcel {
  const rtmrs = Array.from({ length: RTMR_COUNT }, () => Buffer.alloc(RTMR_SIZE));
  for (const event of ccel.log.events) {
    if (event.type === EV.NO_ACTION) continue;
    if (event.pcr < 1) throw malformed('a CC MR index 1..4 (RTMR0..3)', event.offset, `${event.pcr} (MRTD)`);
    const digest = event.digests.sha384;
    if (digest === undefined) {
      throw new VerificationError(
        EVENTLOG_ERROR.BANK_MISSING,
        `Expected a sha384 digest in event ${event.seq}, found none`,
      );
    }
    const index = event.pcr - 1;
    const current = rtmrs[index] ?? Buffer.alloc(RTMR_SIZE);
    rtmrs[index] = createHash('sha384').update(current).update(digest).digest();
  }
  return { rtmrs, log: ccel.log };
}

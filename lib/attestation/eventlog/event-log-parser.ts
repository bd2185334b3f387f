// Parses TCG PC Client event logs: crypto-agile (Spec ID Event03 header + TCG_PCR_EVENT2 records) and
// legacy SHA-1 (TCG_PCR_EVENT throughout). Every length is checked against the bytes that are left, and
// event data are views into one private copy of the input, so hostile sizes cannot make us allocate.
import { invalidArgument } from '../../errors.js';
import { PCR_COUNT, PCR_DIGEST_SIZE, pcrBankForAlg, type PcrBank } from '../../tpm/pcr.js';
import { verifyEventDigests } from './digest-consistency.js';
import { decodeEventContent } from './event-content.js';
import type { DeclaredAlgorithm, EventLog, EventLogFormat, RegisterKind, TcgEvent } from './event-log.js';
import { EV, eventTypeName } from './event-types.js';
import { malformed } from './eventlog-errors.js';
import { LogReader } from './log-reader.js';

export interface EventLogParseOptions {
  /** Upper bound on records (default 65536; real firmware logs have a few hundred). */
  readonly maxEvents?: number;
}

export const DEFAULT_MAX_EVENTS = 65536;
const MAX_ALGORITHMS = 16;
const SHA1_DIGEST_SIZE = 20;
const SPEC_ID_EVENT03 = Buffer.from('Spec ID Event03\0', 'latin1');
const MAX_STARTUP_LOCALITY = 4;

/** Parses a TPM event log (e.g. /sys/kernel/security/tpm0/binary_bios_measurements) and checks digests. */
export function parseEventLog(bytes: Uint8Array, options: EventLogParseOptions = {}): EventLog {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('event log', 'a Buffer or Uint8Array', bytes);
  const log = parseRecords(toBuffer(bytes), {
    registers: 'tpm-pcr',
    maxIndex: PCR_COUNT - 1,
    stopAtTerminator: false,
    maxEvents: maxEventsOf(options),
  });
  verifyEventDigests(log);
  return log;
}

export interface RecordParseOptions {
  readonly registers: RegisterKind;
  /** Highest register index a record may name. */
  readonly maxIndex: number;
  /** CC event log areas are fixed-size: stop at the first record header that is all 0xff or all zero. */
  readonly stopAtTerminator: boolean;
  readonly maxEvents: number;
}

export function maxEventsOf(options: EventLogParseOptions): number {
  const max = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (!Number.isSafeInteger(max) || max < 1) throw invalidArgument('maxEvents', 'a positive integer', max);
  return max;
}

/** One copy of the input, so later changes to the caller's bytes cannot alter a checked log. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

/** Parses the records of a log (shared by TPM logs and the TDX CC event log). */
export function parseRecords(bytes: Buffer, options: RecordParseOptions): EventLog {
  const reader = new LogReader(bytes);
  const events: TcgEvent[] = [];
  if (reader.remaining === 0 || atTerminator(reader, options)) {
    return { format: 'sha1-legacy', registers: options.registers, banks: [], algorithms: [], events };
  }
  const first = readSha1Record(reader, 0, options);
  events.push(first);
  const isAgile = first.type === EV.NO_ACTION && first.data.subarray(0, 16).equals(SPEC_ID_EVENT03);
  const format: EventLogFormat = isAgile ? 'crypto-agile' : 'sha1-legacy';
  const algorithms: DeclaredAlgorithm[] = isAgile
    ? parseSpecIdAlgorithms(first)
    : [{ algId: 0x0004, digestSize: 20, bank: 'sha1' }];
  const locality = new StartupLocalityTracker();
  locality.observe(first);

  while (reader.remaining > 0 && !atTerminator(reader, options)) {
    if (events.length >= options.maxEvents) {
      throw malformed(`at most ${options.maxEvents} events`, reader.offset, 'more records');
    }
    const event = isAgile
      ? readAgileRecord(reader, events.length, algorithms, options)
      : readSha1Record(reader, events.length, options);
    locality.observe(event);
    events.push(event);
  }
  const banks = algorithms.flatMap((a) => (a.bank === undefined ? [] : [a.bank]));
  const base = { format, registers: options.registers, banks, algorithms, events };
  return locality.value === undefined ? base : { ...base, startupLocality: locality.value };
}

function atTerminator(reader: LogReader, options: RecordParseOptions): boolean {
  if (!options.stopAtTerminator) return false;
  const index = reader.peekU32(0);
  const type = reader.peekU32(4);
  if (index === undefined || type === undefined) return true;
  return (index === 0xffffffff && type === 0xffffffff) || (index === 0 && type === 0);
}

function readHeader(reader: LogReader, options: RecordParseOptions): { offset: number; pcr: number; type: number } {
  const offset = reader.offset;
  const pcr = reader.u32('event PCR index');
  const type = reader.u32('event type');
  // Windows logs carry EV_NO_ACTION records with index 0xffffffff; they are never replayed.
  if (pcr > options.maxIndex && type !== EV.NO_ACTION) {
    const register = options.registers === 'cc-mr' ? 'CC MR index' : 'PCR index';
    throw malformed(`a ${register} ≤ ${options.maxIndex}`, offset, `${pcr} for ${eventTypeName(type)}`);
  }
  return { offset, pcr, type };
}

function readData(reader: LogReader): Buffer {
  const at = reader.offset;
  const size = reader.u32('event data size');
  if (size > reader.remaining) throw malformed(`${size} bytes of event data`, at + 4, `${reader.remaining} bytes left`);
  return reader.take(size, 'event data');
}

/** TCG_PCR_EVENT: PCR index, type, SHA-1 digest, size, data. */
function readSha1Record(reader: LogReader, seq: number, options: RecordParseOptions): TcgEvent {
  const { offset, pcr, type } = readHeader(reader, options);
  const digest = reader.take(SHA1_DIGEST_SIZE, 'SHA-1 digest');
  const data = readData(reader);
  return makeEvent(seq, offset, pcr, type, { sha1: digest }, data);
}

/** TCG_PCR_EVENT2: PCR index, type, TPML_DIGEST_VALUES (one digest per declared algorithm), size, data. */
function readAgileRecord(
  reader: LogReader,
  seq: number,
  algorithms: readonly DeclaredAlgorithm[],
  options: RecordParseOptions,
): TcgEvent {
  const { offset, pcr, type } = readHeader(reader, options);
  const countAt = reader.offset;
  const count = reader.u32('TPML_DIGEST_VALUES.count');
  if (count !== algorithms.length) {
    throw malformed(`${algorithms.length} digests (one per Spec ID algorithm)`, countAt, `${count}`);
  }
  const digests: Partial<Record<PcrBank, Buffer>> = {};
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const algAt = reader.offset;
    const algId = reader.u16('TPMT_HA.hashAlg');
    const declared = algorithms.find((a) => a.algId === algId);
    if (declared === undefined || seen.has(algId)) {
      const what = declared === undefined ? 'undeclared' : 'repeated';
      throw malformed(
        'a digest algorithm declared once in the Spec ID event',
        algAt,
        `${what} 0x${algId.toString(16)}`,
      );
    }
    seen.add(algId);
    // Unknown algorithms are skipped by the size the Spec ID event declared for them.
    const digest = reader.take(declared.digestSize, `0x${algId.toString(16)} digest`);
    if (declared.bank !== undefined) digests[declared.bank] = digest;
  }
  const data = readData(reader);
  return makeEvent(seq, offset, pcr, type, digests, data);
}

function makeEvent(
  seq: number,
  offset: number,
  pcr: number,
  type: number,
  digests: Partial<Record<PcrBank, Buffer>>,
  data: Buffer,
): TcgEvent {
  const content = decodeEventContent(type, pcr, data);
  const event = { seq, offset, pcr, type, typeName: eventTypeName(type), digests, data };
  return content === undefined ? event : { ...event, content };
}

/** TCG_EfiSpecIDEventStruct: signature, platformClass, version, uintnSize, algorithms, vendorInfo. */
function parseSpecIdAlgorithms(header: TcgEvent): DeclaredAlgorithm[] {
  const reader = new LogReader(header.data);
  reader.take(16, 'Spec ID signature');
  reader.u32('platformClass');
  reader.take(3, 'spec version');
  reader.u8('uintnSize');
  const countAt = reader.offset;
  const count = reader.u32('numberOfAlgorithms');
  if (count < 1 || count > MAX_ALGORITHMS) {
    throw malformed(`1..${MAX_ALGORITHMS} algorithms in the Spec ID event`, header.offset + 32 + countAt, `${count}`);
  }
  const algorithms: DeclaredAlgorithm[] = [];
  for (let i = 0; i < count; i++) {
    const at = header.offset + 32 + reader.offset;
    const algId = reader.u16('algorithmId');
    const digestSize = reader.u16('digestSize');
    const bank = pcrBankForAlg(algId);
    if (algorithms.some((a) => a.algId === algId))
      throw malformed('distinct Spec ID algorithms', at, `0x${algId.toString(16)} twice`);
    if (bank !== undefined && digestSize !== PCR_DIGEST_SIZE[bank]) {
      throw malformed(`digest size ${PCR_DIGEST_SIZE[bank]} for ${bank}`, at, `${digestSize}`);
    }
    if (digestSize === 0) throw malformed('a non-zero digest size', at, `0 for 0x${algId.toString(16)}`);
    algorithms.push(bank === undefined ? { algId, digestSize } : { algId, digestSize, bank });
  }
  const vendorInfoSize = reader.u8('vendorInfoSize');
  reader.take(vendorInfoSize, 'vendorInfo');
  if (reader.remaining !== 0) {
    throw malformed('end of the Spec ID event', header.offset + 32 + reader.offset, `${reader.remaining} extra bytes`);
  }
  return algorithms;
}

/** The StartupLocality EV_NO_ACTION event must come before PCR0 is first extended, at most once. */
class StartupLocalityTracker {
  value: number | undefined;
  private pcr0Extended = false;

  observe(event: TcgEvent): void {
    if (event.pcr !== 0) return;
    if (event.type !== EV.NO_ACTION) {
      this.pcr0Extended = true;
      return;
    }
    if (event.content?.kind !== 'startup-locality') return;
    const { locality } = event.content;
    if (this.value !== undefined || this.pcr0Extended || locality > MAX_STARTUP_LOCALITY) {
      const found =
        this.value === undefined
          ? this.pcr0Extended
            ? 'after a PCR0 measurement'
            : `locality ${locality}`
          : 'a second one';
      throw malformed(`one StartupLocality (0..${MAX_STARTUP_LOCALITY}) before PCR0 measurements`, event.offset, found);
    }
    this.value = locality;
  }
}

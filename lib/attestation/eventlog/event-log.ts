// The parsed shape of a TCG event log (TPM PC Client log or TDX CC event log).
import type { PcrBank } from '../../tpm/pcr.js';
import type { EventContent } from './event-content.js';

export type EventLogFormat = 'crypto-agile' | 'sha1-legacy';

/** What `TcgEvent.pcr` indexes: TPM PCRs, or TDX CC measurement registers (1..4 = RTMR0..3). */
export type RegisterKind = 'tpm-pcr' | 'cc-mr';

/** An algorithm declared by the Spec ID Event03 header; `bank` is absent for algorithms we do not replay. */
export interface DeclaredAlgorithm {
  readonly algId: number;
  readonly digestSize: number;
  readonly bank?: PcrBank;
}

export interface TcgEvent {
  /** Position in the log, 0 = first record (the Spec ID header in crypto-agile logs). */
  readonly seq: number;
  /** Byte offset of the record in the log. */
  readonly offset: number;
  /** PCR index (TPM logs) or CC measurement-register index (CCEL: 1..4 = RTMR0..3). */
  readonly pcr: number;
  readonly type: number;
  readonly typeName: string;
  /** Digests per known bank; digests of undeclared/unknown algorithms are skipped. */
  readonly digests: Partial<Record<PcrBank, Buffer>>;
  readonly data: Buffer;
  /** Data decoded per event type where the spec defines a layout; undefined if it does not parse. */
  readonly content?: EventContent;
}

export interface EventLog {
  readonly format: EventLogFormat;
  readonly registers: RegisterKind;
  /** Banks every measured event carries a digest for. */
  readonly banks: readonly PcrBank[];
  readonly algorithms: readonly DeclaredAlgorithm[];
  /** All records in log order, including the header and EV_NO_ACTION events. */
  readonly events: readonly TcgEvent[];
  /** Locality from a `StartupLocality` EV_NO_ACTION event in PCR0: PCR0 then starts as 00…0<locality>. */
  readonly startupLocality?: number;
}

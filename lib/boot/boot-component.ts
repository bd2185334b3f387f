// One measurement of the simulated boot chain: which PCR, which TCG event type, the event data the log carries and
// the bytes whose hash is extended. Components are checked before anything is extended, so a log we write is one
// lib/attestation/eventlog parses and replays (digest-consistency rules included).
import { invalidArgument } from '../errors.js';
import { EV } from '../attestation/eventlog/event-types.js';
import type { PcrBank } from '../tpm/pcr.js';

export interface BootComponent {
  readonly pcr: number;
  /** TCG PC Client event type name, e.g. 'EV_EFI_BOOT_SERVICES_APPLICATION'. */
  readonly eventType: string;
  /** Event data as the log carries it. */
  readonly data: Buffer;
  /** Bytes whose hash (per bank) is extended into the PCR and logged as the event digest. */
  readonly measured: Buffer;
}

/** The banks a simulated boot extends and logs: every bank the local swtpm has active. */
export const BOOT_BANKS: readonly PcrBank[] = ['sha1', 'sha256', 'sha384'];

/** For these types the PFP (and our verifier) require digest = hash(data). */
const DATA_HASHED: ReadonlySet<number> = new Set([
  EV.SEPARATOR,
  EV.EFI_ACTION,
  EV.EFI_VARIABLE_DRIVER_CONFIG,
  EV.EFI_VARIABLE_AUTHORITY,
]);
/**
 * Firmware and boot loader PCRs. Not 15 (the Bootstrapper's cluster measurement), 16 (debug), 17-22 (DRTM: reset
 * to all-ones, only a dynamic launch makes them extendable from zero) or 23 (application).
 */
export const BOOT_PCRS: readonly number[] = Array.from({ length: 15 }, (_, index) => index);

/** Bounds a log entry the parser and a reader of logs would still find sensible. */
export const MAX_EVENT_DATA_BYTES = 1024 * 1024;

/** 'EV_SEPARATOR' → 4; undefined for names the PFP does not define. */
export function eventTypeNumber(name: string): number | undefined {
  if (!name.startsWith('EV_')) return undefined;
  const key = name.slice(3);
  return Object.hasOwn(EV, key) ? EV[key as keyof typeof EV] : undefined;
}

/**
 * Refuses components a firmware log could not contain: unknown types, EV_NO_ACTION (never extended), PCRs other
 * than BOOT_PCRS, data-hashed types whose measured bytes differ from their data.
 */
export function checkBootComponents(components: readonly BootComponent[]): readonly number[] {
  const list: unknown = components;
  if (!Array.isArray(list)) throw invalidArgument('components', 'an array of boot components', components);
  return components.map((component, index) => {
    const where = `components[${index}]`;
    const { pcr, eventType, data, measured } = component;
    if (!BOOT_PCRS.includes(pcr)) {
      throw invalidArgument(`${where}.pcr`, 'a boot PCR 0-14', pcr);
    }
    const type = typeof eventType === 'string' ? eventTypeNumber(eventType) : undefined;
    if (type === undefined || type === EV.NO_ACTION) {
      throw invalidArgument(`${where}.eventType`, 'a measured TCG event type name such as EV_SEPARATOR', eventType);
    }
    if (!Buffer.isBuffer(data) || data.length > MAX_EVENT_DATA_BYTES) {
      throw invalidArgument(`${where}.data`, `a Buffer of at most ${MAX_EVENT_DATA_BYTES} bytes`, data);
    }
    if (!Buffer.isBuffer(measured)) throw invalidArgument(`${where}.measured`, 'a Buffer', measured);
    if (DATA_HASHED.has(type) && !measured.equals(data)) {
      throw invalidArgument(`${where}.measured`, `the event data itself for ${eventType}`, measured);
    }
    return type;
  });
}

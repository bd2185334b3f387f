// Writes a crypto-agile TCG PC Client event log (PFP §10.2): a TCG_PCR_EVENT header in SHA-1 format carrying the
// "Spec ID Event03" structure that declares the banks, then one TCG_PCR_EVENT2 per measurement with a digest for
// every declared bank. All integers little-endian, as firmware writes them.
import { PCR_BANK_ALG, PCR_DIGEST_SIZE, type PcrBank } from '../tpm/pcr.js';
import { EV } from '../attestation/eventlog/event-types.js';
import { BOOT_BANKS, checkBootComponents, type BootComponent } from './boot-component.js';
import { measurementDigests } from './expected-pcrs.js';

const SPEC_ID_SIGNATURE = Buffer.from('Spec ID Event03\0', 'latin1');
/** PFP: platformClass 0 = client, spec version 2.0 errata 0, UINTN of 8 bytes (uintnSize 2). */
const PLATFORM_CLASS_CLIENT = 0;
const UINTN_SIZE_64_BIT = 2;

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function specIdEvent(banks: readonly PcrBank[]): Buffer {
  const structure = Buffer.concat([
    SPEC_ID_SIGNATURE,
    u32(PLATFORM_CLASS_CLIENT),
    Buffer.from([0, 2, 0, UINTN_SIZE_64_BIT]),
    u32(banks.length),
    ...banks.map((bank) => Buffer.concat([u16(PCR_BANK_ALG[bank]), u16(PCR_DIGEST_SIZE[bank])])),
    Buffer.from([0]),
  ]);
  // TCG_PCR_EVENT: PCR 0, EV_NO_ACTION, 20 zero bytes of SHA-1 digest, size, data.
  return Buffer.concat([u32(0), u32(EV.NO_ACTION), Buffer.alloc(20), u32(structure.length), structure]);
}

function event2(type: number, component: BootComponent, banks: readonly PcrBank[]): Buffer {
  const digests = measurementDigests(component.measured, banks);
  return Buffer.concat([
    u32(component.pcr),
    u32(type),
    u32(banks.length),
    ...banks.map((bank) => Buffer.concat([u16(PCR_BANK_ALG[bank]), digests[bank] ?? Buffer.alloc(0)])),
    u32(component.data.length),
    component.data,
  ]);
}

/** The log of a boot that measured `components` in order, with digests for `banks` (default BOOT_BANKS). */
export function encodeEventLog(components: readonly BootComponent[], banks: readonly PcrBank[] = BOOT_BANKS): Buffer {
  const types = checkBootComponents(components);
  return Buffer.concat([
    specIdEvent(banks),
    ...components.map((component, index) => event2(types[index] ?? EV.NO_ACTION, component, banks)),
  ]);
}

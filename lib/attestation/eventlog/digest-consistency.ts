// Data-digest consistency: the event type is not covered by any digest, so an attacker who may edit the
// log can retag an event to make its (still correctly digested) data be read differently. For the types
// below the PFP defines the digest as the hash of the event data, so we check it; and an event in PCR 0-7
// whose digest is the hash of a separator value or of a well-known EFI action string must carry that type
// (the same rule as go-tpm-tools' checkIfValidSeparator / getEfiState, see go-attestation
// docs/event-log-disclosure.md). Exempt: EV_S_CRTM_CONTENTS, whose digest is of firmware volumes we cannot
// see (a real laptop log measures an all-zero FIT entry, whose hash equals the 00000000 separator's).
//
// Checked: EV_SEPARATOR, EV_EFI_ACTION, EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_AUTHORITY (also
// accepting the hash of the data without its last byte: shim before rhboot/shim@8a27a48 logs one byte too
// many, go-attestation issue #157). Not checked, because real firmware hashes something else:
// EV_EFI_VARIABLE_BOOT (some firmware hashes only the variable value), EV_S_CRTM_VERSION, EV_EVENT_TAG,
// EV_IPL (GRUB hashes the command without its prefix; see kernel-command-line.ts), image loads.
import { createHash } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { shortHex } from '../../hex.js';
import type { PcrBank } from '../../tpm/pcr.js';
import type { EventLog, TcgEvent } from './event-log.js';
import { EV, eventTypeName } from './event-types.js';
import { EVENTLOG_ERROR } from './eventlog-errors.js';

const DATA_HASHED_TYPES: ReadonlySet<number> = new Set([
  EV.SEPARATOR,
  EV.EFI_ACTION,
  EV.EFI_VARIABLE_DRIVER_CONFIG,
  EV.EFI_VARIABLE_AUTHORITY,
]);

/** Data whose hash, found as the digest of a PCR 0-7 event, identifies the event's true type. */
const LOOK_ALIKES: readonly { type: number; data: Buffer; label: string }[] = [
  { type: EV.SEPARATOR, data: Buffer.from([0, 0, 0, 0]), label: 'separator 00000000' },
  { type: EV.SEPARATOR, data: Buffer.from([0xff, 0xff, 0xff, 0xff]), label: 'separator ffffffff' },
  ...[
    'Calling EFI Application from Boot Option',
    'Returning from EFI Application from Boot Option',
    'Exit Boot Services Invocation',
    'Exit Boot Services Returned with Success',
    'UEFI Debug Mode',
    'DMA Protection Disabled',
  ].map((text) => ({ type: EV.EFI_ACTION, data: Buffer.from(text, 'latin1'), label: `EFI action "${text}"` })),
];

const FIRMWARE_PCR_MAX = 7;
/** CC MR 1 and 2 (RTMR0/1) hold what PCR 0-7 hold on a TPM; MR 3 holds PCR 8-15. */
const FIRMWARE_CC_MR_MAX = 2;

export function hashOf(bank: PcrBank, data: Buffer): Buffer {
  return createHash(bank).update(data).digest();
}

/** Throws VerificationError('EVENTLOG_DIGEST_MISMATCH') listing every inconsistent event. */
export function verifyEventDigests(log: EventLog): void {
  const problems: string[] = [];
  for (const event of log.events) {
    if (event.type === EV.NO_ACTION) continue;
    if (DATA_HASHED_TYPES.has(event.type)) {
      const bad = banksOf(event).find((bank) => !digestMatchesData(event, bank));
      if (bad !== undefined) {
        problems.push(
          `${describeEvent(event)} ${bad} digest ${shortHex(event.digests[bad] ?? Buffer.alloc(0))} expected ` +
            `${shortHex(hashOf(bad, event.data))} (the hash of its data)`,
        );
        continue;
      }
    }
    if (event.pcr > (log.registers === 'tpm-pcr' ? FIRMWARE_PCR_MAX : FIRMWARE_CC_MR_MAX)) continue;
    if (event.type === EV.S_CRTM_CONTENTS) continue;
    const imitated = imitatedType(event);
    if (imitated !== undefined && imitated.type !== event.type) {
      problems.push(
        `${describeEvent(event)} has the digest of ${imitated.label} but type ${event.typeName}, expected ${eventTypeName(imitated.type)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new VerificationError(
      EVENTLOG_ERROR.DIGEST_MISMATCH,
      `Event log has ${problems.length} event(s) whose digest does not match its type and data ` +
        `(edited or retagged events):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

function digestMatchesData(event: TcgEvent, bank: PcrBank): boolean {
  const digest = event.digests[bank];
  if (digest === undefined) return true;
  if (digest.equals(hashOf(bank, event.data))) return true;
  return (
    event.type === EV.EFI_VARIABLE_AUTHORITY &&
    event.data.length > 0 &&
    digest.equals(hashOf(bank, event.data.subarray(0, event.data.length - 1)))
  );
}

type LookAlikeTable = Map<string, { type: number; label: string }>;

// Per-bank hashes of the look-alike data never change: compute them once per process.
const lookAlikesByBank = new Map<PcrBank, LookAlikeTable>();

function lookAlikeTable(bank: PcrBank): LookAlikeTable {
  let table = lookAlikesByBank.get(bank);
  if (table === undefined) {
    table = new Map(LOOK_ALIKES.map((entry) => [hashOf(bank, entry.data).toString('hex'), entry]));
    lookAlikesByBank.set(bank, table);
  }
  return table;
}

function imitatedType(event: TcgEvent): { type: number; label: string } | undefined {
  for (const bank of banksOf(event)) {
    const digest = event.digests[bank];
    if (digest === undefined) continue;
    const hit = lookAlikeTable(bank).get(digest.toString('hex'));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function banksOf(event: TcgEvent): PcrBank[] {
  return Object.keys(event.digests) as PcrBank[];
}

export function describeEvent(event: TcgEvent): string {
  return `event ${event.seq} (${event.typeName}, PCR[${event.pcr}], offset ${event.offset})`;
}

// Precomputes the PCRs a boot of a UKI produces under OVMF (no Secure Boot, the UKI started from a boot option)
// with systemd-stub 252 and systemd-pcrphase, from the UKI bytes alone:
//   PCR 4  = OVMF: EV_EFI_ACTION "Calling…", separator, ["Returning…", "Calling…"] per boot option that failed
//            first, then Authenticode(UKI), then Authenticode(.linux) (the stub starts the kernel through the
//            firmware's LoadImage, which measures it too).
//   PCR 11 = systemd-stub: per section present, in the stub's fixed order, sha256(name + NUL) then sha256(content);
//            then systemd-pcrphase: sha256(word) per boot phase.
// Checked bit-exact against guests and `systemd-measure calculate` (docs in lib/image/README.md).
import { createHash } from 'node:crypto';
import { InputError, invalidArgument } from '../errors.js';
import { authenticodeSha256 } from './authenticode.js';
import { PE_INVALID } from './pe-image.js';
import { ukiSections } from './uki-sections.js';

/** The sections systemd-stub 252 measures, in its order (.pcrsig is left out: it signs the result). */
export const STUB_MEASURED_SECTIONS = ['.linux', '.osrel', '.cmdline', '.initrd', '.splash', '.dtb', '.pcrpkey'];
/**
 * What the node image measures after the stub: systemd-pcrphase in the initrd and in the main system. (The
 * feasibility image lacked libtss2-tctildr/-sys in its initrd, so its systemd-pcrphase-initrd failed and only
 * sysinit:ready was measured; our image ships them, see image/README.md.)
 */
export const DEFAULT_PCR_PHASES: readonly string[] = ['enter-initrd', 'leave-initrd', 'sysinit', 'ready'];
export const CALLING_BOOT_OPTION = 'Calling EFI Application from Boot Option';
export const RETURNING_FROM_BOOT_OPTION = 'Returning from EFI Application from Boot Option';
const MAX_FAILED_BOOT_OPTIONS = 32;
const PHASE_WORD = /^[\x21-\x39\x3b-\x7e]{1,64}$/;

export interface UkiPcrInput {
  readonly uki: Buffer;
  /** Boot options OVMF tried and left before the UKI (0 when the disk has bootindex=1). Default 0. */
  readonly failedBootOptions?: number;
  /** systemd-pcrphase words in order. Default DEFAULT_PCR_PHASES. */
  readonly phases?: readonly string[];
}

export interface PredictedEvent {
  readonly pcr: 4 | 11;
  /** What the event is, as `verify` would name it, e.g. `EV_IPL ".cmdline" content`. */
  readonly description: string;
  readonly digest: Buffer;
}

export interface UkiPcrs {
  readonly pcr4: Buffer;
  readonly pcr11: Buffer;
}

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function extend(pcr: Buffer, digest: Buffer): Buffer {
  return createHash('sha256').update(pcr).update(digest).digest();
}

/** The PCR 4 and PCR 11 events of a boot of `uki`, in measurement order. */
export function ukiBootEvents(input: UkiPcrInput): PredictedEvent[] {
  if (!Buffer.isBuffer(input.uki)) throw invalidArgument('uki', 'a Buffer with the UKI', input.uki);
  const failed = input.failedBootOptions ?? 0;
  if (!Number.isInteger(failed) || failed < 0 || failed > MAX_FAILED_BOOT_OPTIONS) {
    throw invalidArgument('failedBootOptions', `an integer 0-${MAX_FAILED_BOOT_OPTIONS}`, failed);
  }
  const phases = input.phases ?? DEFAULT_PCR_PHASES;
  const list: unknown = phases;
  if (!Array.isArray(list) || !phases.every((word) => typeof word === 'string' && PHASE_WORD.test(word))) {
    throw invalidArgument('phases', 'an array of phase words (printable ASCII without ":")', phases);
  }
  const sections = ukiSections(input.uki);
  for (const name of sections.keys()) {
    // The stub compares only the length of its own name, so ".linuxX" would be taken for ".linux".
    const shadowed = STUB_MEASURED_SECTIONS.find((measured) => name !== measured && name.startsWith(measured));
    if (shadowed !== undefined) {
      throw new InputError(
        PE_INVALID,
        `Expected no section whose name starts with ${shadowed}, found ${JSON.stringify(name)}; systemd-stub would take it for ${shadowed}`,
      );
    }
  }
  const linux = sections.get('.linux');
  if (linux === undefined || linux.length === 0) {
    throw new InputError(PE_INVALID, 'Expected a .linux section in the UKI, found none; pass a unified kernel image');
  }
  const events: PredictedEvent[] = [
    { pcr: 4, description: `EV_EFI_ACTION "${CALLING_BOOT_OPTION}"`, digest: sha256(CALLING_BOOT_OPTION) },
    { pcr: 4, description: 'EV_SEPARATOR', digest: sha256(Buffer.alloc(4)) },
  ];
  for (let i = 0; i < failed; i++) {
    events.push(
      {
        pcr: 4,
        description: `EV_EFI_ACTION "${RETURNING_FROM_BOOT_OPTION}"`,
        digest: sha256(RETURNING_FROM_BOOT_OPTION),
      },
      { pcr: 4, description: `EV_EFI_ACTION "${CALLING_BOOT_OPTION}"`, digest: sha256(CALLING_BOOT_OPTION) },
    );
  }
  events.push(
    { pcr: 4, description: 'EV_EFI_BOOT_SERVICES_APPLICATION (the UKI)', digest: authenticodeSha256(input.uki) },
    { pcr: 4, description: 'EV_EFI_BOOT_SERVICES_APPLICATION (.linux)', digest: authenticodeSha256(linux) },
  );
  for (const name of STUB_MEASURED_SECTIONS) {
    const content = sections.get(name);
    // The stub skips absent sections and those of size 0.
    if (content === undefined || content.length === 0) continue;
    events.push(
      { pcr: 11, description: `EV_IPL "${name}" name`, digest: sha256(Buffer.from(`${name}\0`, 'latin1')) },
      { pcr: 11, description: `EV_IPL "${name}" content`, digest: sha256(content) },
    );
  }
  for (const word of phases) {
    events.push({ pcr: 11, description: `systemd-pcrphase "${word}"`, digest: sha256(word) });
  }
  return events;
}

/** Replays ukiBootEvents from zero: the PCR 4 and PCR 11 values (sha256 bank) the booted node reports. */
export function predictUkiPcrs(input: UkiPcrInput): UkiPcrs {
  let pcr4: Buffer = Buffer.alloc(32);
  let pcr11: Buffer = Buffer.alloc(32);
  for (const event of ukiBootEvents(input)) {
    if (event.pcr === 4) pcr4 = extend(pcr4, event.digest);
    else pcr11 = extend(pcr11, event.digest);
  }
  return { pcr4, pcr11 };
}

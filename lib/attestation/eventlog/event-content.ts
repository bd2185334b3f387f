// Decodes event data by event type where the PFP (or GRUB / systemd) defines a layout.
// The event type is not covered by any digest, so decoded content of an event whose digest is not the
// hash of its data only says what the log claims (see digest-consistency.ts for the types we verify).
import { VerificationError } from '../../errors.js';
import { parseEfiImageLoad, type EfiImageLoad } from './efi-image-load.js';
import { parseUefiVariableData, type UefiVariable } from './efi-variable.js';
import { decodeEventText, looksLikeUtf16, type TextEncoding } from './event-text.js';
import { EV } from './event-types.js';
import { formatEfiGuid } from './efi-guid.js';

/** GRUB's EV_IPL prefixes in PCR 8 (GRUB manual "Measured Boot"; older Fedora/RHEL patch set). */
export const GRUB_PREFIXES = [
  'grub_cmd: ',
  'kernel_cmdline: ',
  'module_cmdline: ',
  'grub_kernel_cmdline ',
  'grub_cmd ',
] as const;
export type GrubPrefix = (typeof GRUB_PREFIXES)[number];

/** systemd's EV_EVENT_TAG ids (src/boot/measure.h). */
export const SYSTEMD_EVENT_TAG = { LOAD_OPTIONS: 0x8f3b22ec, INITRD: 0x8f3b22ed } as const;

export const SEPARATOR_VALUE = { OK: 0x00000000, ERROR: 0xffffffff } as const;

export type EventContent =
  | { readonly kind: 'startup-locality'; readonly locality: number }
  | { readonly kind: 'no-action'; readonly signature: string }
  | { readonly kind: 'efi-variable'; readonly variable: UefiVariable }
  | { readonly kind: 'efi-image-load'; readonly image: EfiImageLoad }
  | { readonly kind: 'separator'; readonly value: number }
  | { readonly kind: 'action'; readonly text: string }
  | {
      readonly kind: 'ipl';
      readonly text: string;
      readonly encoding: TextEncoding;
      /** GRUB command or command line, split into its prefix and the measured argument. */
      readonly grub?: { readonly prefix: GrubPrefix; readonly argument: string };
      /** systemd-stub UKI section name measured into PCR 11 (`.linux`, `.osrel`, `.cmdline`, …). */
      readonly ukiSection?: string;
    }
  | { readonly kind: 's-crtm-version'; readonly text?: string; readonly guid?: string }
  | { readonly kind: 'tagged'; readonly eventId: number; readonly eventData: Buffer };

const UKI_PCR = 11;

export function decodeEventContent(type: number, pcr: number, data: Buffer): EventContent | undefined {
  try {
    return decode(type, pcr, data);
  } catch (error) {
    // Undecodable data is kept raw; digest-consistency and rule checks decide whether that matters.
    if (error instanceof VerificationError) return undefined;
    throw error;
  }
}

function decode(type: number, pcr: number, data: Buffer): EventContent | undefined {
  switch (type) {
    case EV.NO_ACTION:
      return decodeNoAction(data);
    case EV.EFI_VARIABLE_DRIVER_CONFIG:
    case EV.EFI_VARIABLE_BOOT:
    case EV.EFI_VARIABLE_BOOT2:
      return { kind: 'efi-variable', variable: parseUefiVariableData(data) };
    case EV.EFI_VARIABLE_AUTHORITY:
      return { kind: 'efi-variable', variable: parseUefiVariableData(data, true) };
    case EV.EFI_BOOT_SERVICES_APPLICATION:
    case EV.EFI_BOOT_SERVICES_DRIVER:
    case EV.EFI_RUNTIME_SERVICES_DRIVER:
      return { kind: 'efi-image-load', image: parseEfiImageLoad(data) };
    case EV.SEPARATOR:
      return data.length === 4 ? { kind: 'separator', value: data.readUInt32LE(0) } : undefined;
    case EV.EFI_ACTION:
    case EV.ACTION:
      return { kind: 'action', text: data.toString('latin1') };
    case EV.IPL:
      return decodeIpl(pcr, data);
    case EV.S_CRTM_VERSION:
      if (looksLikeUtf16(data)) return { kind: 's-crtm-version', text: decodeEventText(data).text };
      return data.length === 16 ? { kind: 's-crtm-version', guid: formatEfiGuid(data) } : undefined;
    case EV.EVENT_TAG:
      return decodeTagged(data);
    default:
      return undefined;
  }
}

function decodeNoAction(data: Buffer): EventContent | undefined {
  const nul = data.indexOf(0);
  if (nul <= 0 || nul > 24) return undefined;
  const signature = data.subarray(0, nul).toString('latin1');
  if (signature === 'StartupLocality' && data.length === nul + 2) {
    return { kind: 'startup-locality', locality: data.readUInt8(nul + 1) };
  }
  return { kind: 'no-action', signature };
}

function decodeIpl(pcr: number, data: Buffer): EventContent {
  const { text, encoding } = decodeEventText(data);
  const prefix = encoding === 'utf8' ? GRUB_PREFIXES.find((p) => text.startsWith(p)) : undefined;
  if (prefix !== undefined) {
    return { kind: 'ipl', text, encoding, grub: { prefix, argument: text.slice(prefix.length) } };
  }
  if (pcr === UKI_PCR && text.startsWith('.')) return { kind: 'ipl', text, encoding, ukiSection: text };
  return { kind: 'ipl', text, encoding };
}

/** TCG_PCClientTaggedEvent: taggedEventID, taggedEventDataSize, taggedEventData filling the event. */
function decodeTagged(data: Buffer): EventContent | undefined {
  if (data.length < 8) return undefined;
  const size = data.readUInt32LE(4);
  if (size !== data.length - 8) return undefined;
  return { kind: 'tagged', eventId: data.readUInt32LE(0), eventData: data.subarray(8) };
}

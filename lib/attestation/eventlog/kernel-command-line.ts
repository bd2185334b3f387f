// Kernel command lines as measured by the boot loader: GRUB's `kernel_cmdline: ` EV_IPL events in PCR 8
// (CC MR 3 in a TDX CCEL), systemd-stub's load options in PCR 12 (EV_EVENT_TAG LOAD_OPTIONS or EV_IPL),
// and older systemd-boot's UTF-16 EV_IPL in PCR 8.
import { hashOf } from './digest-consistency.js';
import { SYSTEMD_EVENT_TAG } from './event-content.js';
import type { EventLog, TcgEvent } from './event-log.js';
import type { PcrBank } from '../../tpm/pcr.js';

export interface KernelCommandLine {
  readonly seq: number;
  readonly pcr: number;
  readonly source: 'grub' | 'systemd';
  /** The command line without the loader's prefix and trailing NUL. */
  readonly commandLine: string;
  /**
   * The event digest is the hash of exactly this command line (GRUB: without prefix, with or without NUL;
   * systemd: the UTF-16 string with NUL) in every bank. Only verified command lines are bound to the PCRs;
   * systemd command lines are only returned when verified.
   */
  readonly digestVerified: boolean;
}

const GRUB_CMDLINE_PREFIXES: ReadonlySet<string> = new Set(['kernel_cmdline: ', 'grub_kernel_cmdline ']);
const SYSTEMD_STUB_PCR = 12;

export function kernelCommandLines(log: EventLog): KernelCommandLine[] {
  const loaderPcr = log.registers === 'cc-mr' ? 3 : 8;
  const found: KernelCommandLine[] = [];
  for (const event of log.events) {
    const { content } = event;
    if (content === undefined) continue;
    if (event.pcr === loaderPcr && content.kind === 'ipl' && content.grub !== undefined) {
      if (!GRUB_CMDLINE_PREFIXES.has(content.grub.prefix)) continue;
      const measured = event.data.subarray(Buffer.byteLength(content.grub.prefix, 'utf8'));
      const withoutNul = measured.at(-1) === 0 ? measured.subarray(0, measured.length - 1) : measured;
      found.push({
        seq: event.seq,
        pcr: event.pcr,
        source: 'grub',
        commandLine: content.grub.argument,
        digestVerified: digestIsHashOfAny(event, [withoutNul, measured]),
      });
    } else if (content.kind === 'ipl' && content.encoding === 'utf16le' && isSystemdCmdlinePcr(log, event)) {
      // systemd logs the load options as their own description; other PCR 12 EV_IPL events (credentials,
      // system extensions) describe data that is not in the log, so their digest is not the text's hash.
      const line = systemdCommandLine(event, content.text);
      if (line.digestVerified) found.push(line);
    } else if (
      event.pcr === SYSTEMD_STUB_PCR &&
      log.registers === 'tpm-pcr' &&
      content.kind === 'tagged' &&
      content.eventId === SYSTEMD_EVENT_TAG.LOAD_OPTIONS
    ) {
      const line = systemdCommandLine(event, content.eventData.toString('utf16le').replace(/\0+$/, ''));
      if (line.digestVerified) found.push(line);
    }
  }
  return found;
}

function isSystemdCmdlinePcr(log: EventLog, event: TcgEvent): boolean {
  return log.registers === 'tpm-pcr' && (event.pcr === SYSTEMD_STUB_PCR || event.pcr === 8);
}

function systemdCommandLine(event: TcgEvent, commandLine: string): KernelCommandLine {
  const measured = Buffer.from(`${commandLine}\0`, 'utf16le');
  return {
    seq: event.seq,
    pcr: event.pcr,
    source: 'systemd',
    commandLine,
    digestVerified: digestIsHashOfAny(event, [measured]),
  };
}

function digestIsHashOfAny(event: TcgEvent, candidates: readonly Buffer[]): boolean {
  const banks = Object.keys(event.digests) as PcrBank[];
  if (banks.length === 0) return false;
  return banks.every((bank) => {
    const digest = event.digests[bank];
    return digest !== undefined && candidates.some((c) => hashOf(bank, c).equals(digest));
  });
}

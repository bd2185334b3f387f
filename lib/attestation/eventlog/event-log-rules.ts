// Ordering rules a well-formed firmware log follows; a log that breaks them may have been edited after the
// fact or come from firmware that measured an error. Returned as a PolicyResult so policy can aggregate.
import { policyResult, type PolicyResult } from '../policy-result.js';
import { SEPARATOR_VALUE } from './event-content.js';
import type { EventLog, TcgEvent } from './event-log.js';
import { EV } from './event-types.js';

export interface EventLogRuleOptions {
  /**
   * Accept EV_EFI_BOOT_SERVICES_APPLICATION events in PCR 4 before the "Calling EFI Application from Boot
   * Option" action (firmware that does not log that action, e.g. some physical machines).
   */
  readonly allowEfiAppBeforeCallingEvent?: boolean;
}

const CALLING_EFI_APPLICATION = 'Calling EFI Application from Boot Option';
const FIRMWARE_PCRS = [0, 1, 2, 3, 4, 5, 6, 7] as const;
const BOOT_MANAGER_PCR = 4;
const SECURE_BOOT_PCR = 7;

export function checkEventLogRules(log: EventLog, options: EventLogRuleOptions = {}): PolicyResult {
  if (log.registers !== 'tpm-pcr') return policyResult([], ['event-log rules apply to TPM logs only; skipped']);
  const violations: string[] = [];
  const warnings: string[] = [];
  checkSeparators(log, violations);
  checkEfiAppsAfterCallingEvent(log, options.allowEfiAppBeforeCallingEvent === true, violations, warnings);
  checkNoDriverConfigAfterSeparator(log, violations);
  return policyResult(violations, warnings);
}

function checkSeparators(log: EventLog, violations: string[]): void {
  for (const pcr of FIRMWARE_PCRS) {
    const separators = log.events.filter((e) => e.pcr === pcr && e.type === EV.SEPARATOR);
    if (separators.length > 1) {
      violations.push(
        `PCR[${pcr}] EV_SEPARATOR count expected at most 1, got ${separators.length} (events ${seqs(separators)})`,
      );
    }
    for (const separator of separators) {
      const value = separator.content?.kind === 'separator' ? separator.content.value : undefined;
      if (value === SEPARATOR_VALUE.OK) continue;
      const got =
        value === SEPARATOR_VALUE.ERROR
          ? 'ffffffff (firmware reported an error)'
          : value === undefined
            ? `${separator.data.length} bytes of data`
            : value.toString(16).padStart(8, '0');
      violations.push(`PCR[${pcr}] EV_SEPARATOR (event ${separator.seq}) value expected 00000000, got ${got}`);
    }
  }
}

function checkEfiAppsAfterCallingEvent(log: EventLog, allow: boolean, violations: string[], warnings: string[]): void {
  const early: TcgEvent[] = [];
  for (const event of log.events) {
    if (event.pcr !== BOOT_MANAGER_PCR) continue;
    if (
      event.type === EV.EFI_ACTION &&
      event.content?.kind === 'action' &&
      event.content.text === CALLING_EFI_APPLICATION
    ) {
      break;
    }
    if (event.type === EV.EFI_BOOT_SERVICES_APPLICATION) early.push(event);
  }
  if (early.length === 0) return;
  const what = `PCR[4] EV_EFI_BOOT_SERVICES_APPLICATION (events ${seqs(early)}) expected after the "${CALLING_EFI_APPLICATION}" EV_EFI_ACTION, got before it`;
  if (allow) warnings.push(`${what} (accepted by allowEfiAppBeforeCallingEvent)`);
  else violations.push(`${what} (set policy.tpm.eventLogRules.allowEfiAppBeforeCallingEvent=true to accept)`);
}

function checkNoDriverConfigAfterSeparator(log: EventLog, violations: string[]): void {
  let separatorSeen = false;
  for (const event of log.events) {
    if (event.pcr !== SECURE_BOOT_PCR) continue;
    if (event.type === EV.SEPARATOR) separatorSeen = true;
    else if (separatorSeen && event.type === EV.EFI_VARIABLE_DRIVER_CONFIG) {
      const name = event.content?.kind === 'efi-variable' ? ` ${event.content.variable.name}` : '';
      violations.push(
        `PCR[7] EV_EFI_VARIABLE_DRIVER_CONFIG${name} (event ${event.seq}) expected before the PCR[7] separator, got after it`,
      );
    }
  }
}

function seqs(events: readonly TcgEvent[]): string {
  const shown = events.slice(0, 5).map((e) => e.seq);
  return events.length > 5 ? `${shown.join(', ')}, … (${events.length} in all)` : shown.join(', ');
}

// Reads the event-log vectors under test/vectors; a missing file throws, so the test using it fails.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PcrBank, PcrValues } from '../../../../lib/tpm/pcr.js';

const VECTORS = fileURLToPath(new URL('../../../vectors/', import.meta.url));

export function vector(path: string): Buffer {
  return readFileSync(VECTORS + path);
}

/** Parsed JSON; callers state the shape they rely on. */
export function vectorJson(path: string): unknown {
  return JSON.parse(readFileSync(VECTORS + path, 'utf8'));
}

/** `{ SHA1: { '0': 'hex' } }` (bank names as in the expected*.json files) → PcrValues. */
export function pcrValuesFromHex(banks: Record<string, Record<string, string>>): PcrValues {
  const values: Partial<Record<PcrBank, Record<number, Buffer>>> = {};
  for (const [bank, pcrs] of Object.entries(banks)) {
    values[bank.toLowerCase() as PcrBank] = Object.fromEntries(
      Object.entries(pcrs).map(([index, hex]) => [Number(index), Buffer.from(hex, 'hex')]),
    );
  }
  return values;
}

export interface GoTpmToolsLog {
  readonly file: string;
  readonly format: string;
  readonly event_count_including_header: number;
  readonly expected_final_pcrs_upstream: Record<string, Record<string, string>>;
  readonly expected_kernel_cmdline_upstream?: string;
}

export function goTpmToolsLogs(): [string, GoTpmToolsLog][] {
  const expected = vectorJson('tpm/go-tpm-tools/expected_pcrs.json') as { logs: Record<string, GoTpmToolsLog> };
  return Object.entries(expected.logs);
}

/** Every real TPM log, by name (for property tests and benches). */
export function realTpmLogs(): [string, Buffer][] {
  const logs: [string, Buffer][] = goTpmToolsLogs().map(([name, log]) => [
    name,
    vector(`tpm/go-tpm-tools/${log.file}`),
  ]);
  for (const name of [
    'sb_cert_eventlog',
    'option_rom_eventlog',
    'ebs_event_missing_eventlog',
    'crypto_agile_eventlog',
    'coreos_36_shielded_vm_no_secure_boot_eventlog',
    'short_no_action_eventlog',
  ]) {
    logs.push([name, vector(`tpm/go-attestation/${name}`)]);
  }
  return logs;
}

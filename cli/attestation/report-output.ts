// Renders the outcome of `attestation verify`: aligned table on a terminal, plain `key: value` lines
// otherwise (stable for grep), or one JSON object for machines. Always on stdout; errors go to stderr.
import { ConstellationError, PolicyError } from '../../lib/errors.js';
import type { ExitCode } from '../exit-codes.js';
import type { VerificationReport } from './verification-report.js';

export type VerifyStatus =
  'verified' | 'policy-rejected' | 'verification-failed' | 'invalid-input' | 'error' | 'refused' | 'unreachable';

export const STATUS_FOR_EXIT: Readonly<Record<ExitCode, VerifyStatus>> = {
  0: 'verified',
  1: 'error',
  2: 'invalid-input',
  3: 'verification-failed',
  4: 'policy-rejected',
  5: 'refused',
  6: 'unreachable',
};

export interface VerifyOutcome {
  readonly exitCode: ExitCode;
  /** Present when the evidence verified (also when the policy then rejected it). */
  readonly report?: VerificationReport;
  readonly error?: unknown;
}

export function renderJson(outcome: VerifyOutcome): string {
  const { report, error } = outcome;
  const json: Record<string, unknown> = {
    status: STATUS_FOR_EXIT[outcome.exitCode],
    exitCode: outcome.exitCode,
  };
  if (report !== undefined) {
    json['evidence'] = report.evidence;
    json['variant'] = report.variant;
    json['facts'] = Object.fromEntries(report.facts.map((f) => [f.label, f.value]));
    json['violations'] = report.policy.violations;
    json['warnings'] = report.policy.warnings;
    json['notes'] = report.notes;
  }
  if (error !== undefined) {
    json['error'] =
      error instanceof ConstellationError
        ? {
            class: error.name,
            code: error.code,
            message: error.message,
            ...(error instanceof PolicyError ? { violations: error.violations } : {}),
          }
        : {
            class: 'InternalError',
            code: 'INTERNAL',
            message: error instanceof Error ? error.message : 'unknown error',
          };
  }
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Plain text: one `label: value` per line, then violations, warnings and notes as `- ` lists. */
export function renderText(outcome: VerifyOutcome): string {
  const { report } = outcome;
  if (report === undefined) return '';
  const lines = [
    `status: ${STATUS_FOR_EXIT[outcome.exitCode]}`,
    `evidence: ${report.evidence}`,
    `variant: ${report.variant}`,
  ];
  for (const f of report.facts) lines.push(`${f.label}: ${f.value}`);
  lines.push(...section('violations', report.policy.violations));
  lines.push(...section('warnings', report.policy.warnings));
  lines.push(...section('notes', report.notes));
  return `${lines.join('\n')}\n`;
}

/** Terminal table: two aligned columns, a status banner, optional colour. */
export function renderTable(outcome: VerifyOutcome, color: boolean): string {
  const { report } = outcome;
  if (report === undefined) return '';
  const paint = (code: string, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const status = STATUS_FOR_EXIT[outcome.exitCode];
  const banner =
    status === 'verified'
      ? paint('32', '✓ verified and within policy')
      : status === 'policy-rejected'
        ? paint('31', `✗ verified, but the policy rejects it (${report.policy.violations.length} violation(s))`)
        : paint('31', `✗ ${status}`);
  const rows: [string, string][] = [
    ['evidence', report.evidence],
    ['variant', report.variant],
    ...report.facts.map((f): [string, string] => [f.label, f.value]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const out = [banner, ''];
  for (const [label, value] of rows) out.push(`  ${paint('2', label.padEnd(width))}  ${value}`);
  for (const [title, items, code] of [
    ['Violations', report.policy.violations, '31'],
    ['Warnings', report.policy.warnings, '33'],
    ['Notes', report.notes, '2'],
  ] as const) {
    if (items.length === 0) continue;
    out.push('', paint(code, `${title}:`));
    for (const item of items) out.push(`  - ${item}`);
  }
  return `${out.join('\n')}\n`;
}

function section(title: string, items: readonly string[]): string[] {
  return items.length === 0 ? [] : [`${title}:`, ...items.map((item) => `  - ${item}`)];
}

// Renders `constellation verify`: per node a PCR table (index, expected, actual, ok) and, for each mismatch,
// the event-log entries that explain it; or one JSON document with full values. Always stdout.
import type { CliIo } from '../cli-io.js';
import type { ExitCode } from '../exit-codes.js';
import type { NodeVerification } from './node-verification.js';
import type { PcrRow } from './pcr-report.js';

export interface ClusterVerification {
  readonly clusterId: string;
  /** Hex of the expected PCR 15 (clusterMeasurement(clusterId)). */
  readonly expectedPcr15: string;
  readonly nodes: readonly NodeVerification[];
  readonly exitCode: ExitCode;
}

const SHORT = 16;

function short(hex: string): string {
  return hex.length > SHORT ? `${hex.slice(0, SHORT)}…` : hex;
}

function okText(row: PcrRow): string {
  if (row.ok === undefined) return '-';
  if (row.ok) return 'yes';
  return row.mode === 'warn' ? 'NO (warn)' : 'NO';
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderVerifyText(report: ClusterVerification): string {
  const out: string[] = [`cluster ${report.clusterId}`, `expected PCR 15: ${report.expectedPcr15}`, ''];
  for (const result of report.nodes) {
    out.push(`node ${result.node.name} (${result.endpoint}): ${result.status}`);
    if (result.ekFingerprint !== undefined) out.push(`  EK ${result.ekFingerprint}`);
    if (result.akName !== undefined) out.push(`  AK ${result.akName}`);
    if (result.pcrs.length > 0) {
      const rows = [
        ['PCR', 'bank', 'expected', 'actual', 'ok'],
        ...result.pcrs.map((row) => [
          String(row.index),
          row.bank,
          row.expected.length === 0 ? '-' : row.expected.map(short).join(','),
          row.actual === undefined ? '(not quoted)' : short(row.actual),
          okText(row),
        ]),
      ];
      out.push(...table(rows).map((line) => `  ${line}`));
    }
    for (const mismatch of result.mismatches) {
      out.push(`  PCR ${mismatch.index} (${mismatch.bank}) differs; event log entries for it:`);
      if (mismatch.note !== undefined) out.push(`    (${mismatch.note})`);
      for (const event of mismatch.events) {
        out.push(`    #${event.seq} ${event.type} ${short(event.digest)} ${event.description}`);
      }
    }
    for (const violation of result.violations) out.push(`  violation: ${violation}`);
    for (const warning of result.warnings) out.push(`  warning: ${warning}`);
    if (result.error !== undefined) out.push(`  error: ${result.error.code}: ${result.error.message}`);
    out.push('');
  }
  const verified = report.nodes.filter((n) => n.status === 'verified').length;
  out.push(`${verified} of ${report.nodes.length} node(s) verified`);
  return `${out.join('\n')}\n`;
}

export function renderVerifyJson(report: ClusterVerification): string {
  return `${JSON.stringify(
    {
      status: report.exitCode === 0 ? 'verified' : 'failed',
      exitCode: report.exitCode,
      clusterId: report.clusterId,
      expectedPcr15: report.expectedPcr15,
      nodes: report.nodes.map((n) => ({
        name: n.node.name,
        role: n.node.role,
        address: n.node.address,
        endpoint: n.endpoint,
        status: n.status,
        exitCode: n.exitCode,
        ...(n.ekFingerprint === undefined ? {} : { ekFingerprint: n.ekFingerprint }),
        ...(n.akName === undefined ? {} : { akName: n.akName }),
        pcrs: n.pcrs,
        mismatches: n.mismatches,
        violations: n.violations,
        warnings: n.warnings,
        ...(n.error === undefined ? {} : { error: n.error }),
      })),
    },
    null,
    2,
  )}\n`;
}

/** What `local up` and `mini up` print of their verify run: the report on stdout, each node's error on stderr. */
export function writeVerifyReport(io: CliIo, report: ClusterVerification, output: 'text' | 'json'): ExitCode {
  io.stdout.write(output === 'json' ? renderVerifyJson(report) : renderVerifyText(report));
  for (const node of report.nodes) {
    if (node.error !== undefined)
      io.stderr.write(`error: ${node.node.name}: ${node.error.code}: ${node.error.message}\n`);
  }
  return report.exitCode;
}

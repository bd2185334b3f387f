import t from 'tap';
import { renderJson, renderTable, renderText } from '../../../cli/attestation/report-output.js';
import type { VerificationReport } from '../../../cli/attestation/verification-report.js';
import { PolicyError, VerificationError } from '../../../lib/errors.js';

const report: VerificationReport = {
  evidence: 'TPM quote',
  variant: 'qemu-vtpm',
  facts: [
    { label: 'AK name', value: '000b1234' },
    { label: 'PCR[4] (sha256)', value: '9a1c' },
  ],
  policy: { violations: ['PCR[4] (sha256) expected 3d45…, got 9a1c…'], warnings: ['Secure Boot not checked'] },
  notes: ['no event log'],
};

t.test('plain text is one `label: value` per line, then lists', (t) => {
  t.equal(
    renderText({ exitCode: 4, report }),
    [
      'status: policy-rejected',
      'evidence: TPM quote',
      'variant: qemu-vtpm',
      'AK name: 000b1234',
      'PCR[4] (sha256): 9a1c',
      'violations:',
      '  - PCR[4] (sha256) expected 3d45…, got 9a1c…',
      'warnings:',
      '  - Secure Boot not checked',
      'notes:',
      '  - no event log',
      '',
    ].join('\n'),
  );
  t.equal(renderText({ exitCode: 3, error: new VerificationError('X', 'y') }), '', 'no report, no text');
  t.end();
});

t.test('the table aligns labels and colours only when asked', (t) => {
  const plain = renderTable({ exitCode: 4, report }, false);
  t.match(plain, /^✗ verified, but the policy rejects it \(1 violation\(s\)\)\n\n/);
  t.match(plain, /^ {2}AK name {10}000b1234$/m);
  t.match(plain, /^ {2}PCR\[4\] \(sha256\) {2}9a1c$/m);
  t.notOk(plain.includes('\u001b'), 'no escape codes');
  const colored = renderTable({ exitCode: 0, report: { ...report, policy: { violations: [], warnings: [] } } }, true);
  t.ok(colored.startsWith('\u001b[32m✓'), 'green banner');
  t.end();
});

t.test('JSON carries status, exit code, facts, violations and the error', (t) => {
  const error = new PolicyError('POLICY_VIOLATION', 'm', report.policy.violations);
  const json = JSON.parse(renderJson({ exitCode: 4, report, error })) as Record<string, unknown>;
  t.same(json, {
    status: 'policy-rejected',
    exitCode: 4,
    evidence: 'TPM quote',
    variant: 'qemu-vtpm',
    facts: { 'AK name': '000b1234', 'PCR[4] (sha256)': '9a1c' },
    violations: report.policy.violations,
    warnings: report.policy.warnings,
    notes: report.notes,
    error: { class: 'PolicyError', code: 'POLICY_VIOLATION', message: 'm', violations: report.policy.violations },
  });
  const internal = JSON.parse(renderJson({ exitCode: 1, error: new TypeError('boom') })) as Record<string, unknown>;
  t.same(internal, {
    status: 'error',
    exitCode: 1,
    error: { class: 'InternalError', code: 'INTERNAL', message: 'boom' },
  });
  t.end();
});

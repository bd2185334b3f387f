// tap reporter for CI: passes raw TAP through and ends with the failures (test path, message, location) and
// "N passed, N failed, N skipped". CI output is often shown only in part, from the end: the failures must be
// readable there. It must be a Transform because tap pipes the reporter into stdout.
import { Transform } from 'node:stream';

const MAX_FAILURES = 40;
const MAX_DIAG_LINES = 12;
// Diagnostic lines worth repeating at the end: what failed, where, and how a test process ended.
const DIAG_KEYS = new Set([
  'message',
  'found',
  'wanted',
  'pattern',
  'code',
  'signal',
  'exitCode',
  'timeout',
  'expired',
]);

function keep(key, line) {
  if (DIAG_KEYS.has(key)) return true;
  if (key === 'stack') return /\(?test\/.*:\d+:\d+\)?$/.test(line);
  if (key === 'diff') return /^[-+](?![-+]{2})/.test(line);
  return false;
}

export default class CiReporter extends Transform {
  rest = '';
  summary = null;
  subtests = [];
  failures = [];
  diag = null;

  _transform(chunk, _encoding, callback) {
    this.rest += chunk;
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.#read(line);
    callback(null, chunk);
  }

  #read(line) {
    if (this.diag !== null) {
      if (/^\s*\.\.\.\s*$/.test(line)) {
        this.diag = null;
        return;
      }
      const key = /^(\s*)([A-Za-z]+):/.exec(line);
      if (key && (this.diagIndent === undefined || key[1].length <= this.diagIndent)) {
        this.diagIndent = key[1].length;
        this.diagKey = key[2];
      }
      if (this.diag.length < MAX_DIAG_LINES && keep(this.diagKey, line.trim())) this.diag.push(line.trim());
      return;
    }
    const subtest = /^( *)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      const depth = subtest[1].length / 4;
      this.subtests.length = depth;
      this.subtests[depth] = subtest[2];
      return;
    }
    const failed = /^( *)not ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    if (failed) {
      const depth = failed[1].length / 4;
      const path = [...this.subtests.slice(0, depth), failed[2]].join(' > ');
      const failure = { path, diag: [] };
      if (this.failures.length < MAX_FAILURES) this.failures.push(failure);
      this.pendingDiag = failure;
      return;
    }
    if (/^\s*---\s*$/.test(line) && this.pendingDiag) {
      this.diag = this.pendingDiag.diag;
      this.diagIndent = undefined;
      this.diagKey = '';
      this.pendingDiag = null;
      return;
    }
    this.pendingDiag = null;
    const m = /^# \{ total: \d+(.*) \}$/.exec(line);
    if (m) {
      const count = (key) => Number(new RegExp(`${key}: (\\d+)`).exec(m[1])?.[1] ?? 0);
      this.summary = { pass: count('pass'), fail: count('fail'), skip: count('skip') + count('todo') };
    }
  }

  _flush(callback) {
    if (this.rest !== '') this.#read(this.rest);
    const s = this.summary ?? { pass: 0, fail: 0, skip: 0 };
    const report = this.failures.map((f) => `FAILED ${f.path}\n${f.diag.map((d) => `    ${d}`).join('\n')}`).join('\n');
    callback(
      null,
      `${this.rest}\n${report === '' ? '' : `\n${report}\n\n`}${s.pass} passed, ${s.fail} failed, ${s.skip} skipped\n`,
    );
  }
}

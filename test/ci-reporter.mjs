// tap reporter for CI: passes raw TAP through and ends with "N passed, N failed, N skipped".
// It must be a Transform because tap pipes the reporter into stdout.
import { Transform } from 'node:stream';

export default class CiReporter extends Transform {
  rest = '';
  summary = null;

  _transform(chunk, _encoding, callback) {
    this.rest += chunk;
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^# \{ total: \d+(.*) \}$/.exec(line);
      if (m) {
        const count = (key) => Number(new RegExp(`${key}: (\\d+)`).exec(m[1])?.[1] ?? 0);
        this.summary = { pass: count('pass'), fail: count('fail'), skip: count('skip') + count('todo') };
      }
    }
    callback(null, chunk);
  }

  _flush(callback) {
    const s = this.summary ?? { pass: 0, fail: 0, skip: 0 };
    callback(null, `${this.rest}\n${s.pass} passed, ${s.fail} failed, ${s.skip} skipped\n`);
  }
}

// The logger's output captured line by line: formats, levels, child fields, and that no Buffer or secret-named
// field ever reaches a line.
import t from 'tap';
import { openSync, closeSync, fstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditLog,
  createLogger,
  detectTransport,
  isSecretFieldName,
  type LogTransport,
} from '../../../lib/log/index.js';

const time = new Date('2026-11-23T10:00:00.000Z');

function capture(transport: LogTransport, level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ name: 'kms', transport, level, now: () => time, write: (line) => lines.push(line) });
  return { logger, lines };
}

t.test('JSON lines carry time, level, logger, msg and the fields', (t) => {
  const { logger, lines } = capture('stderr-json');
  logger.info('serving', { listen: '127.0.0.1:9000', attempt: 2 });
  t.same(JSON.parse(lines[0]!), {
    time: '2026-11-23T10:00:00.000Z',
    level: 'info',
    logger: 'kms',
    msg: 'serving',
    listen: '127.0.0.1:9000',
    attempt: 2,
  });
  t.end();
});

t.test('journald lines start with the syslog priority and keep one entry per call', (t) => {
  const { logger, lines } = capture('journald', 'debug');
  logger.debug('d');
  logger.info('i', { peer: '127.0.0.1:1' });
  logger.warn('two\nlines', { reason: 'expected X, found Y' });
  logger.error('e');
  t.same(lines, [
    '<7>kms: d',
    '<6>kms: i peer=127.0.0.1:1',
    '<4>kms: two\\nlines reason="expected X, found Y"',
    '<3>kms: e',
  ]);
  t.end();
});

t.test('text lines for a terminal', (t) => {
  const { logger, lines } = capture('stderr-text');
  logger.warn('slow', { ms: 12 });
  t.equal(lines[0], '2026-11-23T10:00:00.000Z WARN  kms: slow ms=12');
  t.end();
});

t.test('levels below the threshold are dropped; child loggers add their fields', (t) => {
  const { logger, lines } = capture('stderr-json', 'warn');
  logger.info('hidden');
  const child = logger.child({ peer: 'node-1' });
  child.warn('shown', { code: 'X' });
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0]!), { msg: 'shown', peer: 'node-1', code: 'X' });
  t.end();
});

t.test('Buffers and secret-named fields never reach any transport', (t) => {
  for (const transport of ['stderr-json', 'stderr-text', 'journald'] as const) {
    const { logger, lines } = capture(transport);
    const secretBytes = Buffer.from('73757065722d736563726574', 'hex');
    logger.info('derived', {
      dataKey: secretBytes,
      nested: { raw: new Uint8Array([1, 2, 3]), list: [secretBytes], token: 'abc.def' },
      masterSecret: 'c2VjcmV0',
      stateDiskKey: 'k',
      key: 'k2',
      password: 'hunter2',
      dataKeyId: 'visible-id',
      error: Object.assign(new Error('expected a, found b'), { code: 'SOME_CODE' }),
      version: 5n,
    });
    const line = lines.join('\n');
    for (const leaked of ['super-secret', '7375706572', 'abc.def', 'c2VjcmV0', 'hunter2', '"k"', 'k2']) {
      t.notOk(line.includes(leaked), `${transport}: ${leaked} not printed`);
    }
    t.match(line, /visible-id/, `${transport}: ids stay`);
    t.match(line, /\[bytes\]/, `${transport}: bytes marked`);
    t.match(line, /\[redacted\]/, `${transport}: secrets marked`);
    t.match(line, /SOME_CODE/, `${transport}: error code kept`);
  }
  t.end();
});

t.test('secret field names', (t) => {
  for (const name of ['key', 'diskKey', 'STATE_DISK_KEY', 'masterSecret', 'joinToken', 'privateKeyPem', 'password']) {
    t.ok(isSecretFieldName(name), name);
  }
  for (const name of ['dataKeyId', 'monkey', 'peer', 'keyCount', 'policyVersion']) {
    t.notOk(isSecretFieldName(name), name);
  }
  t.end();
});

t.test('one audit line per decision: granted at info, denied at warn with the failed check', (t) => {
  const { logger, lines } = capture('stderr-json');
  const audit = auditLog(logger);
  audit.record({
    action: 'IssueJoinTicket',
    outcome: 'granted',
    subject: { ek: 'sha256:ab12…' },
    details: { role: 'worker' },
  });
  audit.record({
    action: 'IssueJoinTicket',
    outcome: 'denied',
    subject: { ek: 'sha256:cd34…' },
    check: 'policy',
    code: 'PCR_MISMATCH',
    reason: 'PCR[4] expected 3d45…, got 9a1c…',
  });
  t.equal(lines.length, 2);
  t.match(JSON.parse(lines[0]!), {
    level: 'info',
    audit: true,
    action: 'IssueJoinTicket',
    outcome: 'granted',
    role: 'worker',
  });
  t.match(JSON.parse(lines[1]!), {
    level: 'warn',
    audit: true,
    outcome: 'denied',
    check: 'policy',
    code: 'PCR_MISMATCH',
    subject: { ek: 'sha256:cd34…' },
  });
  t.end();
});

t.test('transport detection: journald only when JOURNAL_STREAM names stderr', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'log-'));
  const fd = openSync(join(dir, 'stream'), 'w');
  t.teardown(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const { dev, ino } = fstatSync(fd);
  t.equal(detectTransport({ JOURNAL_STREAM: `${dev}:${ino}` }, { fd }), 'journald');
  t.equal(detectTransport({ JOURNAL_STREAM: `${dev}:${ino + 1}` }, { fd }), 'stderr-json', 'inherited by a child');
  t.equal(detectTransport({}, { fd, isTTY: true }), 'stderr-text');
  t.equal(detectTransport({}, { fd }), 'stderr-json');
  t.end();
});

t.test('bad options are refused', (t) => {
  t.throws(() => createLogger({ name: '' }), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  t.throws(() => createLogger({ name: 'x', level: 'loud' as 'info' }), {
    name: 'InputError',
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});

// The journald native protocol against a real AF_UNIX datagram socket standing in for /run/systemd/journal/socket.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatagramReceiver } from '../../../native/sd-notify.js';
import { createLogger, journalFieldName } from '../../../lib/log/index.js';

/** Decodes `KEY=value\n` and `KEY\n<u64le len><bytes>\n` fields. */
function decodeEntry(datagram: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < datagram.length) {
    const newline = datagram.indexOf(0x0a, offset);
    const line = datagram.subarray(offset, newline).toString();
    const equals = line.indexOf('=');
    if (equals >= 0) {
      fields[line.slice(0, equals)] = line.slice(equals + 1);
      offset = newline + 1;
    } else {
      const length = Number(datagram.readBigUInt64LE(newline + 1));
      fields[line] = datagram.subarray(newline + 9, newline + 9 + length).toString();
      offset = newline + 9 + length + 1;
    }
  }
  return fields;
}

t.test('each call is one datagram with MESSAGE, PRIORITY, identifier and redacted fields', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const receiver = DatagramReceiver.bind(join(dir, 'socket'));
  t.teardown(() => {
    receiver.close();
  });
  const fallback: string[] = [];
  const logger = createLogger({
    name: 'joinservice.PolicyStore',
    transport: 'journald-native',
    journalSocket: receiver.path,
    write: (line) => fallback.push(line),
  });
  logger.warn('join denied\nsecond line', { peerAddress: '127.0.0.1:5', diskKey: Buffer.alloc(32, 9), pcr: 4 });
  const entry = decodeEntry((await receiver.receive())!);
  t.same(entry, {
    MESSAGE: 'join denied\nsecond line',
    PRIORITY: '4',
    SYSLOG_IDENTIFIER: 'joinservice',
    LOGGER: 'joinservice.PolicyStore',
    PEER_ADDRESS: '127.0.0.1:5',
    DISK_KEY: '[redacted]',
    PCR: '4',
  });
  t.same(fallback, []);
});

t.test('without a journal socket the entry falls back to the stream format', async (t) => {
  const lines: string[] = [];
  let resolve: () => void = () => undefined;
  const written = new Promise<void>((r) => (resolve = r));
  const logger = createLogger({
    name: 'kms',
    transport: 'journald-native',
    journalSocket: '/nonexistent/journal.socket',
    write: (line) => {
      lines.push(line);
      resolve();
    },
  });
  logger.error('lost?', { code: 'X' });
  await written;
  t.same(lines, ['<3>kms: lost? code=X']);
});

t.test('field names are mapped to journald rules', (t) => {
  t.equal(journalFieldName('peerAddress'), 'PEER_ADDRESS');
  t.equal(journalFieldName('_trusted'), 'TRUSTED');
  t.equal(journalFieldName('9lives'), 'LIVES');
  t.equal(journalFieldName('a.b-c'), 'A_B_C');
  t.equal(journalFieldName('__'), 'FIELD');
  t.end();
});

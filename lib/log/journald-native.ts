// journald's native protocol: one datagram per entry to /run/systemd/journal/socket, each field `KEY=value\n`, or
// `KEY\n<u64 LE length><bytes>\n` when the value has a newline. Unlike the stream (`<N>message k=v`), every field
// becomes a journal field that `journalctl FIELD=value` can match. Entries larger than a datagram (journald wants
// a memfd then) are not supported: they fall back to the stream format on stderr.
import { sendDatagram } from '../../native/sd-notify.js';
import { SYSLOG_PRIORITY, formatJournald, type LogRecord } from './format.js';

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';
/** Stay well under the default datagram limit of the journal socket. */
const MAX_ENTRY_BYTES = 64 * 1024;

/** journald field names: upper-case letters, digits and underscores, not starting with '_' or a digit. */
export function journalFieldName(name: string): string {
  const upper = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_')
    .replace(/^[_0-9]+/, '');
  return upper === '' ? 'FIELD' : upper.slice(0, 64);
}

function encodeField(name: string, value: string): Buffer {
  if (!value.includes('\n')) return Buffer.from(`${name}=${value}\n`);
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([Buffer.from(`${name}\n`), length, bytes, Buffer.from('\n')]);
}

/** The datagram for one record (fields already redacted). */
export function encodeJournalEntry(record: LogRecord, identifier: string): Buffer {
  const parts = [
    encodeField('MESSAGE', record.message),
    encodeField('PRIORITY', String(SYSLOG_PRIORITY[record.level])),
    encodeField('SYSLOG_IDENTIFIER', identifier),
    encodeField('LOGGER', record.logger),
  ];
  for (const [name, value] of Object.entries(record.fields)) {
    parts.push(encodeField(journalFieldName(name), typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return Buffer.concat(parts);
}

/** A write function for the logger: sends in order; on any failure writes the stream form to `fallback`. */
export function journalNativeWriter(options: {
  identifier: string;
  socket?: string;
  fallback: (line: string) => void;
}): (record: LogRecord) => void {
  const socket = options.socket ?? JOURNAL_SOCKET;
  let queue: Promise<void> = Promise.resolve();
  return (record) => {
    const entry = encodeJournalEntry(record, options.identifier);
    if (entry.length > MAX_ENTRY_BYTES) {
      options.fallback(formatJournald(record));
      return;
    }
    queue = queue.then(() =>
      sendDatagram(socket, entry).catch(() => {
        options.fallback(formatJournald(record));
      }),
    );
  };
}

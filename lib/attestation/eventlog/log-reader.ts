// A bounds-checked little-endian cursor over log bytes: every read either fits or throws EVENTLOG_MALFORMED.
import { BoundedReader } from '../../binary/bounded-reader.js';
import { malformed } from './eventlog-errors.js';

export class LogReader extends BoundedReader {
  constructor(bytes: Buffer, start = 0, end = bytes.length) {
    super(bytes, {
      littleEndian: true,
      start,
      end,
      fail: (count, what, offset, remaining) =>
        malformed(`${what} (${count} bytes)`, offset, `${remaining} bytes left`),
    });
  }
}

// Bounded little-endian reader for quote structures: every read checks the remaining length first,
// so a lying length field becomes TDX_QUOTE_MALFORMED instead of a RangeError or a short slice.
import { BoundedReader } from '../../binary/bounded-reader.js';
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';

export class ByteCursor extends BoundedReader {
  constructor(bytes: Buffer, start = 0, end = bytes.length) {
    super(bytes, {
      littleEndian: true,
      start,
      end,
      fail: (length, what, offset, remaining) =>
        new VerificationError(
          TDX_ERROR.QUOTE_MALFORMED,
          `TDX quote: expected ${length} bytes for ${what} at offset 0x${offset.toString(16)}, got ${remaining}`,
        ),
    });
  }
}

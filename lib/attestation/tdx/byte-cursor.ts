// Bounded little-endian reader for quote structures: every read checks the remaining length first,
// so a lying length field becomes TDX_QUOTE_MALFORMED instead of a RangeError or a short slice.
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';

export class ByteCursor {
  private position: number;

  constructor(
    private readonly bytes: Buffer,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  take(length: number, what: string): Buffer {
    if (length > this.remaining) {
      throw new VerificationError(
        TDX_ERROR.QUOTE_MALFORMED,
        `TDX quote: expected ${length} bytes for ${what} at offset 0x${this.position.toString(16)}, got ${this.remaining}`,
      );
    }
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  u16(what: string): number {
    return this.take(2, what).readUInt16LE(0);
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32LE(0);
  }
}

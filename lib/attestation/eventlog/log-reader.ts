// A bounds-checked little-endian cursor over log bytes: every read either fits or throws EVENTLOG_MALFORMED.
import { malformed } from './eventlog-errors.js';

export class LogReader {
  private pos: number;

  constructor(
    private readonly bytes: Buffer,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(count: number, what: string): void {
    if (count > this.remaining) {
      throw malformed(`${what} (${count} bytes)`, this.pos, `${this.remaining} bytes left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    const value = this.bytes.readUInt8(this.pos);
    this.pos += 1;
    return value;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.bytes.readUInt16LE(this.pos);
    this.pos += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.bytes.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const value = this.bytes.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A view (no copy) of the next `count` bytes. */
  bytesOf(count: number, what: string): Buffer {
    this.need(count, what);
    const view = this.bytes.subarray(this.pos, this.pos + count);
    this.pos += count;
    return view;
  }

  peekU32(at = 0): number | undefined {
    return this.remaining >= at + 4 ? this.bytes.readUInt32LE(this.pos + at) : undefined;
  }
}

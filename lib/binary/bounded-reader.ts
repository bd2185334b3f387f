// A bounded cursor over a byte window: every read checks the remaining length first, so a lying length
// field becomes the caller's typed error (via `fail`) instead of a RangeError or a short slice. Shared by
// the TPM (big-endian), event-log and TDX quote (little-endian) parsers.

/** Builds the error for a read of `size` bytes for `what` at `offset` when only `remaining` are left. */
export type ShortReadFailure = (size: number, what: string, offset: number, remaining: number) => Error;

export interface BoundedReaderOptions {
  readonly littleEndian: boolean;
  readonly fail: ShortReadFailure;
  /** First byte of the window (default 0). */
  readonly start?: number;
  /** End of the window, exclusive (default: end of the buffer). */
  readonly end?: number;
}

export class BoundedReader {
  readonly #bytes: Buffer;
  readonly #end: number;
  readonly #littleEndian: boolean;
  readonly #fail: ShortReadFailure;
  #position: number;

  constructor(bytes: Buffer, options: BoundedReaderOptions) {
    this.#bytes = bytes;
    this.#position = options.start ?? 0;
    this.#end = options.end ?? bytes.length;
    this.#littleEndian = options.littleEndian;
    this.#fail = options.fail;
  }

  get offset(): number {
    return this.#position;
  }

  get remaining(): number {
    return this.#end - this.#position;
  }

  /** Consumes `size` bytes and returns their start offset. */
  #advance(size: number, what: string): number {
    if (size > this.remaining) throw this.#fail(size, what, this.#position, this.remaining);
    const at = this.#position;
    this.#position += size;
    return at;
  }

  /** A view (no copy) of the next `size` bytes. */
  take(size: number, what: string): Buffer {
    const at = this.#advance(size, what);
    return this.#bytes.subarray(at, at + size);
  }

  u8(what: string): number {
    return this.#bytes.readUInt8(this.#advance(1, what));
  }

  u16(what: string): number {
    const at = this.#advance(2, what);
    return this.#littleEndian ? this.#bytes.readUInt16LE(at) : this.#bytes.readUInt16BE(at);
  }

  u32(what: string): number {
    const at = this.#advance(4, what);
    return this.#littleEndian ? this.#bytes.readUInt32LE(at) : this.#bytes.readUInt32BE(at);
  }

  u64(what: string): bigint {
    const at = this.#advance(8, what);
    return this.#littleEndian ? this.#bytes.readBigUInt64LE(at) : this.#bytes.readBigUInt64BE(at);
  }

  /** The u32 `at` bytes ahead, without consuming; undefined when it does not fit. */
  peekU32(at = 0): number | undefined {
    if (this.remaining < at + 4) return undefined;
    const offset = this.#position + at;
    return this.#littleEndian ? this.#bytes.readUInt32LE(offset) : this.#bytes.readUInt32BE(offset);
  }
}

// A small big-endian writer for marshalling TPM structures (credentials, test blobs, names).
import { invalidArgument } from '../errors.js';

export class TpmWriter {
  readonly #parts: Buffer[] = [];

  u8(value: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    return this.raw(b);
  }

  u16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.raw(b);
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.raw(b);
  }

  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    return this.raw(b);
  }

  raw(bytes: Uint8Array): this {
    this.#parts.push(Buffer.from(bytes));
    return this;
  }

  /** A TPM2B: u16 size, then the bytes. */
  sized(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw invalidArgument('TPM2B contents', 'at most 65535 bytes', bytes);
    return this.u16(bytes.length).raw(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

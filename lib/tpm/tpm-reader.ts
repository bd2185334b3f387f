// A bounded big-endian reader for TPM wire structures: it never reads past the end, and every
// shortfall names the field and offset, so a truncated or hostile blob fails with one typed error.
import { VerificationError } from '../errors.js';
import { TpmErrorCode } from './tpm-error-codes.js';

export function malformed(structure: string, message: string): VerificationError {
  return new VerificationError(TpmErrorCode.STRUCTURE_MALFORMED, `${structure}: ${message}`);
}

export class TpmReader {
  readonly #bytes: Buffer;
  #offset = 0;

  /** `structure` names the outer type (e.g. `TPMS_ATTEST`) in error messages. */
  constructor(
    bytes: Uint8Array,
    readonly structure: string,
  ) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(size: number, field: string): number {
    if (size > this.remaining) {
      throw malformed(
        this.structure,
        `Expected ${size} bytes for ${field} at offset ${this.#offset} but only ${this.remaining} remain`,
      );
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }

  u8(field: string): number {
    return this.#bytes.readUInt8(this.#take(1, field));
  }

  u16(field: string): number {
    return this.#bytes.readUInt16BE(this.#take(2, field));
  }

  u32(field: string): number {
    return this.#bytes.readUInt32BE(this.#take(4, field));
  }

  u64(field: string): bigint {
    return this.#bytes.readBigUInt64BE(this.#take(8, field));
  }

  /** A copy of the next `size` bytes, so results never alias the caller's buffer. */
  bytes(size: number, field: string): Buffer {
    const at = this.#take(size, field);
    return Buffer.from(this.#bytes.subarray(at, at + size));
  }

  /** A TPM2B: u16 size, then that many bytes (at most `maxSize` when given). */
  sized(field: string, maxSize?: number): Buffer {
    const sizeOffset = this.#offset;
    const size = this.u16(`${field}.size`);
    if (maxSize !== undefined && size > maxSize) {
      throw malformed(
        this.structure,
        `Expected at most ${maxSize} bytes for ${field} at offset ${sizeOffset}, got ${size}`,
      );
    }
    return this.bytes(size, field);
  }

  /** The rest of the input, consumed. */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  /** Fails when bytes are left over: a TPM structure has exactly one length. */
  end(): void {
    if (this.remaining !== 0) {
      throw malformed(
        this.structure,
        `Expected end of structure at offset ${this.#offset} but ${this.remaining} more bytes follow`,
      );
    }
  }
}

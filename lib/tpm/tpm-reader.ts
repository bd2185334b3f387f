// A bounded big-endian reader for TPM wire structures: it never reads past the end, and every
// shortfall names the field and offset, so a truncated or hostile blob fails with one typed error.
import { BoundedReader } from '../binary/bounded-reader.js';
import { VerificationError } from '../errors.js';
import { TpmErrorCode } from './tpm-error-codes.js';

export function malformed(structure: string, message: string): VerificationError {
  return new VerificationError(TpmErrorCode.STRUCTURE_MALFORMED, `${structure}: ${message}`);
}

export class TpmReader extends BoundedReader {
  /** `structure` names the outer type (e.g. `TPMS_ATTEST`) in error messages. */
  constructor(
    bytes: Uint8Array,
    readonly structure: string,
  ) {
    super(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      littleEndian: false,
      fail: (size, field, offset, remaining) =>
        malformed(structure, `Expected ${size} bytes for ${field} at offset ${offset} but only ${remaining} remain`),
    });
  }

  /** A copy of the next `size` bytes, so results never alias the caller's buffer. */
  bytes(size: number, field: string): Buffer {
    return Buffer.from(this.take(size, field));
  }

  /** A TPM2B: u16 size, then that many bytes (at most `maxSize` when given). */
  sized(field: string, maxSize?: number): Buffer {
    const sizeOffset = this.offset;
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
        `Expected end of structure at offset ${this.offset} but ${this.remaining} more bytes follow`,
      );
    }
  }
}

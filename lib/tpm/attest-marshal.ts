// TPMS_ATTEST bytes: for synthetic quotes in tests and benchmarks (a TPM makes the real ones).
import { PCR_BANK_ALG, type PcrBank, type PcrSelection } from './pcr.js';
import { TpmWriter } from './tpm-writer.js';
import { TPM_GENERATED_VALUE, TPM_ST } from './tpm-constants.js';
import type { TpmsClockInfo } from './attest.js';

export interface AttestFields {
  readonly magic?: number;
  readonly type?: number;
  readonly qualifiedSigner?: Uint8Array;
  readonly extraData?: Uint8Array;
  readonly clockInfo?: TpmsClockInfo;
  readonly firmwareVersion?: bigint;
  /** TPMU_ATTEST bytes, used as given (see marshalQuoteInfo). */
  readonly attested: Uint8Array;
}

/** TPMS_QUOTE_INFO: TPML_PCR_SELECTION (3-byte bitmaps, banks in `banks` order) ‖ TPM2B pcrDigest. */
export function marshalQuoteInfo(selection: PcrSelection, pcrDigest: Uint8Array, banks?: readonly PcrBank[]): Buffer {
  const order = banks ?? (Object.keys(selection) as PcrBank[]);
  const w = new TpmWriter().u32(order.length);
  for (const bank of order) {
    const indices = selection[bank] ?? [];
    const bitmap = Buffer.alloc(Math.max(3, Math.ceil((Math.max(-1, ...indices) + 1) / 8)));
    for (const index of indices) bitmap.writeUInt8(bitmap.readUInt8(index >> 3) | (1 << (index & 7)), index >> 3);
    w.u16(PCR_BANK_ALG[bank]).u8(bitmap.length).raw(bitmap);
  }
  return w.sized(pcrDigest).toBuffer();
}

export function marshalAttest(fields: AttestFields): Buffer {
  const clock = fields.clockInfo ?? { clock: 0n, resetCount: 0, restartCount: 0, safe: true };
  return new TpmWriter()
    .u32(fields.magic ?? TPM_GENERATED_VALUE)
    .u16(fields.type ?? TPM_ST.ATTEST_QUOTE)
    .sized(fields.qualifiedSigner ?? Buffer.alloc(0))
    .sized(fields.extraData ?? Buffer.alloc(0))
    .u64(clock.clock)
    .u32(clock.resetCount)
    .u32(clock.restartCount)
    .u8(clock.safe ? 1 : 0)
    .u64(fields.firmwareVersion ?? 0n)
    .raw(fields.attested)
    .toBuffer();
}

// TPMS_ATTEST (Part 2 §10.12): the signed body of quotes, certifications and creation tickets.
// Only quotes are taken apart; other types keep their `attested` bytes raw so a type check can
// name what was found.
import { TPM_ST } from './tpm-constants.js';
import type { PcrBank, PcrSelection } from './pcr.js';
import { TpmReader, malformed } from './tpm-reader.js';
import { tpmHashForAlg } from './tpm-hash.js';

export interface TpmsClockInfo {
  readonly clock: bigint;
  readonly resetCount: number;
  readonly restartCount: number;
  readonly safe: boolean;
}

export interface TpmsQuoteInfo {
  /** Selected PCR indices per bank, ascending; keys are in TPML order (see `banks`). */
  readonly selection: PcrSelection;
  /** Banks in TPML_PCR_SELECTION order: the order of the concatenation behind pcrDigest. */
  readonly banks: readonly PcrBank[];
  readonly pcrDigest: Buffer;
}

export interface TpmsAttest {
  readonly magic: number;
  readonly type: number;
  readonly qualifiedSigner: Buffer;
  readonly extraData: Buffer;
  readonly clockInfo: TpmsClockInfo;
  readonly firmwareVersion: bigint;
  /** The TPMU_ATTEST bytes as signed. */
  readonly attested: Buffer;
  /** Present when `type` is TPM_ST_ATTEST_QUOTE. */
  readonly quote?: TpmsQuoteInfo;
}

const STRUCTURE = 'TPMS_ATTEST';
/** PCR_SELECT_MAX of a TPM with up to 256 PCRs; real TPMs use 3. */
const MAX_SIZEOF_SELECT = 32;

function parseQuoteInfo(attested: Buffer): TpmsQuoteInfo {
  const reader = new TpmReader(attested, `${STRUCTURE}.attested.quote`);
  const count = reader.u32('pcrSelect.count');
  const selection: Partial<Record<PcrBank, number[]>> = {};
  const banks: PcrBank[] = [];
  for (let i = 0; i < count; i++) {
    const alg = reader.u16(`pcrSelect[${i}].hash`);
    const hash = tpmHashForAlg(alg);
    if (hash === undefined) {
      throw malformed(
        STRUCTURE,
        `Expected a known PCR bank hash for pcrSelect[${i}].hash, got 0x${alg.toString(16).padStart(4, '0')}`,
      );
    }
    if (banks.includes(hash.name))
      throw malformed(STRUCTURE, `Expected each bank once in pcrSelect, got ${hash.name} twice`);
    const size = reader.u8(`pcrSelect[${i}].sizeofSelect`);
    if (size > MAX_SIZEOF_SELECT) {
      throw malformed(STRUCTURE, `Expected at most ${MAX_SIZEOF_SELECT} for pcrSelect[${i}].sizeofSelect, got ${size}`);
    }
    const bitmap = reader.bytes(size, `pcrSelect[${i}].pcrSelect`);
    const indices: number[] = [];
    bitmap.forEach((byte, octet) => {
      for (let bit = 0; bit < 8; bit++) if ((byte & (1 << bit)) !== 0) indices.push(octet * 8 + bit);
    });
    banks.push(hash.name);
    selection[hash.name] = indices;
  }
  const pcrDigest = reader.sized('pcrDigest', 64);
  reader.end();
  return { selection, banks, pcrDigest };
}

/** Parses a TPMS_ATTEST; the magic and type are reported, not judged (the quote verifier does that). */
export function parseAttest(bytes: Uint8Array): TpmsAttest {
  const reader = new TpmReader(bytes, STRUCTURE);
  const magic = reader.u32('magic');
  const type = reader.u16('type');
  const qualifiedSigner = reader.sized('qualifiedSigner', 2 + 64);
  const extraData = reader.sized('extraData', 64);
  const clock = reader.u64('clockInfo.clock');
  const resetCount = reader.u32('clockInfo.resetCount');
  const restartCount = reader.u32('clockInfo.restartCount');
  const safeByte = reader.u8('clockInfo.safe');
  if (safeByte > 1) throw malformed(STRUCTURE, `Expected 0 or 1 for clockInfo.safe, got ${safeByte}`);
  const firmwareVersion = reader.u64('firmwareVersion');
  const attested = reader.rest();
  const base = {
    magic,
    type,
    qualifiedSigner,
    extraData,
    clockInfo: { clock, resetCount, restartCount, safe: safeByte === 1 },
    firmwareVersion,
    attested,
  };
  return type === TPM_ST.ATTEST_QUOTE ? { ...base, quote: parseQuoteInfo(attested) } : base;
}

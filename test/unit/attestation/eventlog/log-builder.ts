// Builds small crypto-agile TPM logs for attack and malformation tests, digests = hash(data) by default.
import { createHash } from 'node:crypto';
import { PCR_BANK_ALG, PCR_DIGEST_SIZE, type PcrBank } from '../../../../lib/tpm/pcr.js';

export interface BuiltEvent {
  readonly pcr: number;
  readonly type: number;
  readonly data: Buffer;
  /** Digest per bank; defaults to the hash of `data` (what firmware does for data-hashed types). */
  readonly digests?: Partial<Record<PcrBank, Buffer>>;
}

export function specIdEvent(banks: readonly PcrBank[]): Buffer {
  const algs = Buffer.alloc(4 * banks.length);
  banks.forEach((bank, i) => {
    algs.writeUInt16LE(PCR_BANK_ALG[bank], 4 * i);
    algs.writeUInt16LE(PCR_DIGEST_SIZE[bank], 4 * i + 2);
  });
  const count = Buffer.alloc(4);
  count.writeUInt32LE(banks.length);
  const data = Buffer.concat([
    Buffer.from('Spec ID Event03\0', 'latin1'),
    Buffer.from([0, 0, 0, 0, 0, 2, 0, 2]), // platformClass, version 2.0 errata 0, uintnSize 2
    count,
    algs,
    Buffer.from([0]), // vendorInfoSize
  ]);
  return sha1Record(0, 3, Buffer.alloc(20), data);
}

export function sha1Record(pcr: number, type: number, digest: Buffer, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(pcr, 0);
  head.writeUInt32LE(type, 4);
  return Buffer.concat([head, digest, u32(data.length), data]);
}

export function agileRecord(event: BuiltEvent, banks: readonly PcrBank[]): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(event.pcr, 0);
  head.writeUInt32LE(event.type, 4);
  head.writeUInt32LE(banks.length, 8);
  const digests = banks.map((bank) => {
    const alg = Buffer.alloc(2);
    alg.writeUInt16LE(PCR_BANK_ALG[bank]);
    return Buffer.concat([alg, event.digests?.[bank] ?? createHash(bank).update(event.data).digest()]);
  });
  return Buffer.concat([head, ...digests, u32(event.data.length), event.data]);
}

export function buildAgileLog(events: readonly BuiltEvent[], banks: readonly PcrBank[] = ['sha1', 'sha256']): Buffer {
  return Buffer.concat([specIdEvent(banks), ...events.map((e) => agileRecord(e, banks))]);
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

export function extend(bank: PcrBank, pcr: Buffer, digest: Buffer): Buffer {
  return createHash(bank).update(pcr).update(digest).digest();
}

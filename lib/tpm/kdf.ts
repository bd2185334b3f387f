// The TPM key derivation functions (Part 1 §11.4.10): KDFa (SP 800-108 counter mode with HMAC) and
// KDFe (SP 800-56A concatenation KDF). Labels are NUL-terminated as the TPM does it.
import { createHash, createHmac } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { PcrBank } from './pcr.js';

export type KdfHash = PcrBank;

function labelBytes(label: string | Uint8Array): Buffer {
  const bytes = typeof label === 'string' ? Buffer.from(label, 'latin1') : Buffer.from(label);
  return bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** Truncates to `bits`; when bits is not a multiple of 8 the first octet keeps only its low bits. */
function truncate(stream: Buffer, bits: number): Buffer {
  const out = stream.subarray(0, Math.ceil(bits / 8));
  if (bits % 8 !== 0) out.writeUInt8(out.readUInt8(0) & ((1 << (bits % 8)) - 1), 0);
  return out;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits <= 0 || bits > 0xffff * 8) {
    throw invalidArgument('bits', 'a positive whole number of bits up to 524280', bits);
  }
}

/** KDFa(hash, key, label, contextU, contextV, bits): HMAC_key(i ‖ label ‖ 0 ‖ contextU ‖ contextV ‖ bits) for i = 1… */
export function kdfA(
  hash: KdfHash,
  key: Uint8Array,
  label: string | Uint8Array,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Buffer {
  checkBits(bits);
  const fixed = Buffer.concat([labelBytes(label), contextU, contextV, u32(bits)]);
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 1; produced * 8 < bits; counter++) {
    const block = createHmac(hash, key).update(u32(counter)).update(fixed).digest();
    blocks.push(block);
    produced += block.length;
  }
  return truncate(Buffer.concat(blocks), bits);
}

/** KDFe(hash, Z, label, partyU, partyV, bits): H(i ‖ Z ‖ label ‖ 0 ‖ partyU ‖ partyV) for i = 1… */
export function kdfE(
  hash: KdfHash,
  z: Uint8Array,
  label: string | Uint8Array,
  partyU: Uint8Array,
  partyV: Uint8Array,
  bits: number,
): Buffer {
  checkBits(bits);
  const other = Buffer.concat([labelBytes(label), partyU, partyV]);
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 1; produced * 8 < bits; counter++) {
    const block = createHash(hash).update(u32(counter)).update(z).update(other).digest();
    blocks.push(block);
    produced += block.length;
  }
  return truncate(Buffer.concat(blocks), bits);
}

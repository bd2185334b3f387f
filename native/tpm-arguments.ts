// Validation of every public Tpm argument ("Expected X for Y but received Z"), and conversion to the shapes the
// C++ layer takes. The C++ re-checks types cheaply; the complete checks live here.
import { invalidArgument } from '../lib/errors.js';
import { PCR_BANK_ALG, PCR_COUNT, PCR_DIGEST_SIZE, isPcrBank } from '../lib/tpm/pcr.js';
import type { NativeSelection } from './tpm-binding.js';

export type KeyKind = 'rsa' | 'ecc';

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(name, `integer ${min}-${max}`, value);
  }
  return value;
}

export function checkPcr(name: string, value: unknown): number {
  return checkInteger(name, value, 0, PCR_COUNT - 1);
}

/** A Buffer or Uint8Array of `min`-`max` bytes (never a string: encodings are the caller's decision). */
export function checkBytes(name: string, value: unknown, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    const size = min === max ? `${min} bytes` : `${min}-${max} bytes`;
    throw invalidArgument(name, `Buffer or Uint8Array of ${size}`, value);
  }
  return value;
}

export function checkKeyKind(name: string, value: unknown): KeyKind {
  if (value !== 'rsa' && value !== 'ecc') throw invalidArgument(name, "'rsa' or 'ecc'", value);
  return value;
}

export function checkString(name: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || value.includes('\0')) {
    throw invalidArgument(name, `non-empty string of at most ${maxLength} characters without NUL`, value);
  }
  return value;
}

export function checkNvIndex(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0x01000000 || value > 0x01ffffff) {
    throw invalidArgument(name, 'NV index 0x01000000-0x01FFFFFF', value);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `{sha256: [0, 7]}` → `[[0x000b, 0x81]]`; at least one PCR overall, indices 0-23, no duplicates. */
export function toNativeSelection(name: string, selection: unknown): NativeSelection {
  const expected = 'PCR selection such as { sha256: [0, 4, 7] } with integers 0-23 and at least one PCR';
  if (!isPlainObject(selection)) throw invalidArgument(name, expected, selection);
  const pairs: [number, number][] = [];
  for (const [bank, pcrs] of Object.entries(selection)) {
    if (pcrs === undefined) continue;
    if (!isPcrBank(bank)) throw invalidArgument(`${name} bank`, "'sha1', 'sha256', 'sha384' or 'sha512'", bank);
    if (!Array.isArray(pcrs)) throw invalidArgument(`${name}.${bank}`, 'array of integers 0-23', pcrs);
    let mask = 0;
    for (const pcr of pcrs as unknown[]) {
      const index = checkPcr(`${name}.${bank}`, pcr);
      const bit = 1 << index;
      if ((mask & bit) !== 0) throw invalidArgument(`${name}.${bank}`, 'array of distinct integers 0-23', pcrs);
      mask |= bit;
    }
    if (mask !== 0) pairs.push([PCR_BANK_ALG[bank], mask]);
  }
  if (pairs.length === 0) throw invalidArgument(name, expected, selection);
  return pairs;
}

/** `{sha256: <32 bytes>}` → `[[0x000b, bytes]]`; each digest must have its bank's size. */
export function toNativeDigests(name: string, digests: unknown): readonly (readonly [number, Uint8Array])[] {
  const expected = 'object of digests such as { sha256: <32 bytes> } with at least one bank';
  if (!isPlainObject(digests)) throw invalidArgument(name, expected, digests);
  const pairs: [number, Uint8Array][] = [];
  for (const [bank, digest] of Object.entries(digests)) {
    if (digest === undefined) continue;
    if (!isPcrBank(bank)) throw invalidArgument(`${name} bank`, "'sha1', 'sha256', 'sha384' or 'sha512'", bank);
    const size = PCR_DIGEST_SIZE[bank];
    pairs.push([PCR_BANK_ALG[bank], checkBytes(`${name}.${bank}`, digest, size, size)]);
  }
  if (pairs.length === 0) throw invalidArgument(name, expected, digests);
  return pairs;
}

// A small DER writer, the counterpart of der-reader.ts, for the certificates we issue ourselves (lib/x509): a
// generic X.509 library costs ~17 MB of resident memory in the Bootstrapper, which has an 80 MB budget. Each
// function returns one whole TLV as a Buffer; constructed values take their children already encoded. Only
// the forms DER allows are produced (minimal lengths and integers, no trailing zero bits in named bit lists,
// sorted SET members), and inputs that have no DER form fail with invalidArgument.
import { invalidArgument } from '../errors.js';
import { DER_TAG } from './der-reader.js';

/** Largest context-specific tag number that fits the single-byte tags the reader accepts. */
const MAX_TAG_NUMBER = 30;
const CONSTRUCTED = 0x20;
const CONTEXT_SPECIFIC = 0x80;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-byte tag; `value` is the contents. */
export function encodeTlv(tag: number, value: Buffer): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw invalidArgument('tag', 'a single-byte DER tag (low five bits not all set)', tag);
  }
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

/**
 * A non-negative INTEGER: a bigint, or a Buffer read as an unsigned big-endian magnitude (serial numbers).
 * Leading zero bytes are dropped and one is added when the top bit is set, so the value stays positive.
 */
export function encodeInteger(value: Buffer | bigint): Buffer {
  let magnitude: Buffer;
  if (typeof value === 'bigint') {
    if (value < 0n) throw invalidArgument('INTEGER', 'a non-negative integer', value);
    const hex = value.toString(16);
    magnitude = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  } else {
    magnitude = value;
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let contents = magnitude.subarray(start);
  if (contents.length === 0) contents = Buffer.from([0]);
  if ((contents[0] ?? 0) & 0x80) contents = Buffer.concat([Buffer.from([0]), contents]);
  return encodeTlv(DER_TAG.integer, contents);
}

const OID_TEXT = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/;

/** OBJECT IDENTIFIER from its dotted form, e.g. "1.2.840.10045.4.3.2". */
export function encodeOid(dotted: string): Buffer {
  if (!OID_TEXT.test(dotted)) throw invalidArgument('OBJECT IDENTIFIER', 'dotted decimal arcs like 2.5.4.3', dotted);
  const [top = 0n, second = 0n, ...rest] = dotted.split('.').map(BigInt);
  if (top > 2n || (top < 2n && second >= 40n)) {
    throw invalidArgument('OBJECT IDENTIFIER', 'a first arc of 0..2 (and a second arc below 40 under 0 and 1)', dotted);
  }
  const bytes: number[] = [];
  for (const arc of [top * 40n + second, ...rest]) {
    const groups = [Number(arc & 0x7fn)];
    for (let remaining = arc >> 7n; remaining > 0n; remaining >>= 7n) groups.unshift(Number(remaining & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return encodeTlv(DER_TAG.oid, Buffer.from(bytes));
}

export function encodeNull(): Buffer {
  return encodeTlv(DER_TAG.null, Buffer.alloc(0));
}

/** DER writes TRUE as 0xff (X.690 §11.1). */
export function encodeBoolean(value: boolean): Buffer {
  return encodeTlv(DER_TAG.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/** BIT STRING of whole bytes, or with `unusedBits` (0..7) low bits of the last byte unused and zero. */
export function encodeBitString(bytes: Buffer, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw invalidArgument('BIT STRING unused bits', '0..7 (0 when empty)', unusedBits);
  }
  const last = bytes[bytes.length - 1] ?? 0;
  if ((last & ((1 << unusedBits) - 1)) !== 0) {
    throw invalidArgument('BIT STRING', `zero in the ${unusedBits} unused bits (X.690 §11.2.1)`, last);
  }
  return encodeTlv(DER_TAG.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A named bit list (KeyUsage) from the numbers of the bits that are set, bit 0 being the first (most
 * significant) bit. DER drops trailing zero bits (X.690 §11.2.2), so the unused-bits count follows the
 * highest bit set.
 */
export function encodeNamedBits(bits: readonly number[]): Buffer {
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit > 255) throw invalidArgument('named bit', 'a bit number 0..255', bit);
  }
  if (bits.length === 0) return encodeBitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return encodeBitString(bytes, 7 - (highest & 7));
}

export function encodeOctetString(bytes: Buffer): Buffer {
  return encodeTlv(DER_TAG.octetString, bytes);
}

export function encodeUtf8String(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  // A lone surrogate would be written as U+FFFD: refuse rather than encode something else.
  if (bytes.toString('utf8') !== text) throw invalidArgument('UTF8String', 'well-formed Unicode text', text);
  return encodeTlv(DER_TAG.utf8String, bytes);
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** True when `text` uses only the PrintableString alphabet (X.680 §41.4). */
export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

export function encodePrintableString(text: string): Buffer {
  if (!isPrintableString(text)) {
    throw invalidArgument('PrintableString', "only A-Z a-z 0-9 space ' ( ) + , - . / : = ?", text);
  }
  return encodeTlv(DER_TAG.printableString, Buffer.from(text, 'latin1'));
}

export function encodeIa5String(text: string): Buffer {
  // eslint-disable-next-line no-control-regex -- IA5 is exactly the 7-bit range, control characters included
  if (!/^[\x00-\x7f]*$/.test(text)) throw invalidArgument('IA5String', 'ASCII text', text);
  return encodeTlv(DER_TAG.ia5String, Buffer.from(text, 'latin1'));
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * A certificate time as RFC 5280 §4.1.2.5 requires: UTCTime (YYMMDDHHMMSSZ) for 1950 through 2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise; in UTC, whole seconds (milliseconds are dropped).
 */
export function encodeTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw invalidArgument('time', 'a valid date in the years 0000..9999', date);
  }
  const rest = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes()];
  const tail = `${rest.map(two).join('')}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year <= 2049) {
    return encodeTlv(DER_TAG.utcTime, Buffer.from(`${two(year % 100)}${tail}`, 'latin1'));
  }
  return encodeTlv(DER_TAG.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${tail}`, 'latin1'));
}

export function encodeSequence(...children: readonly Buffer[]): Buffer {
  return encodeTlv(DER_TAG.sequence, Buffer.concat(children));
}

/** SET or SET OF: DER orders the members by their encodings (X.690 §11.6), which also orders a SET by tag. */
export function encodeSet(...children: readonly Buffer[]): Buffer {
  return encodeTlv(DER_TAG.set, Buffer.concat([...children].sort((a, b) => Buffer.compare(a, b))));
}

function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > MAX_TAG_NUMBER) {
    throw invalidArgument('context-specific tag number', `0..${MAX_TAG_NUMBER}`, tagNumber);
  }
  return CONTEXT_SPECIFIC | (constructed ? CONSTRUCTED : 0) | tagNumber;
}

/** `[tagNumber] EXPLICIT`: a constructed context-specific element wrapping the whole `inner` TLV. */
export function encodeExplicit(tagNumber: number, inner: Buffer): Buffer {
  return encodeTlv(contextTag(tagNumber, true), inner);
}

/** `[tagNumber] IMPLICIT`: `inner` (one TLV from this writer) with its tag replaced, constructed bit kept. */
export function encodeImplicit(tagNumber: number, inner: Buffer): Buffer {
  const tag = inner[0];
  if (tag === undefined || inner.length < 2) throw invalidArgument('IMPLICIT inner element', 'one DER TLV', inner);
  const tagged = Buffer.from(inner);
  tagged[0] = contextTag(tagNumber, (tag & CONSTRUCTED) !== 0);
  return tagged;
}

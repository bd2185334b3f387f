// A small, strict DER reader: enough of X.509 for AMD's certificates (custom extensions, serial 0,
// RSASSA-PSS parameters), which node's X509Certificate cannot expose. Every malformed input becomes
// VerificationError('SNP_CERT_MALFORMED'); nothing here trusts a length it has not bounds-checked.
import { snpError } from './snp-error.js';

export const DER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** One TLV inside `source`: `[start, end)` is the whole element, `[valueStart, end)` its contents. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
  readonly source: Buffer;
}

// Nesting in certificates is shallow; a limit keeps hostile inputs from recursing deeply.
const MAX_LENGTH_BYTES = 4;

function malformed(what: string): Error {
  return snpError('SNP_CERT_MALFORMED', `Malformed DER: ${what}`);
}

/** Reads the TLV at `offset`, which must end at or before `limit` (default: end of `source`). */
export function readDer(source: Buffer, offset = 0, limit = source.length): DerNode {
  if (offset + 2 > limit) throw malformed(`expected a tag and length at offset ${offset}, got end of data`);
  const tag = source[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f)
    throw malformed(`expected a single-byte tag at offset ${offset}, got 0x${tag.toString(16)}`);
  const first = source[offset + 1] ?? 0;
  let length: number;
  let valueStart: number;
  if (first < 0x80) {
    length = first;
    valueStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw malformed(`indefinite length at offset ${offset} is not DER`);
    if (count > MAX_LENGTH_BYTES) throw malformed(`expected at most ${MAX_LENGTH_BYTES} length bytes, got ${count}`);
    if (offset + 2 + count > limit) throw malformed(`length at offset ${offset} runs past the end`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (source[offset + 2 + i] ?? 0);
    if (source[offset + 2] === 0 || length < 0x80) throw malformed(`non-minimal length at offset ${offset}`);
    valueStart = offset + 2 + count;
  }
  const end = valueStart + length;
  if (end > limit)
    throw malformed(`element at offset ${offset} needs ${length} bytes, only ${limit - valueStart} left`);
  return { tag, start: offset, valueStart, end, source };
}

/** Reads a whole buffer that must hold exactly one element. */
export function readDerRoot(source: Buffer): DerNode {
  const node = readDer(source);
  if (node.end !== source.length)
    throw malformed(`expected one element, got ${source.length - node.end} trailing bytes`);
  return node;
}

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) {
    throw malformed(`expected tag 0x${tag.toString(16)} for ${what}, got 0x${node.tag.toString(16)}`);
  }
  return node;
}

/** The elements inside a constructed node, in order. */
export function derChildren(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw malformed(`expected a constructed element, got tag 0x${node.tag.toString(16)}`);
  const children: DerNode[] = [];
  let offset = node.valueStart;
  while (offset < node.end) {
    const child = readDer(node.source, offset, node.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

export function derValue(node: DerNode): Buffer {
  return node.source.subarray(node.valueStart, node.end);
}

export function derBytes(node: DerNode): Buffer {
  return node.source.subarray(node.start, node.end);
}

export function decodeOid(node: DerNode): string {
  const value = derValue(expectTag(node, DER_TAG.oid, 'OBJECT IDENTIFIER'));
  if (value.length === 0) throw malformed('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i] ?? 0;
    if (arc === 0 && byte === 0x80) throw malformed('non-minimal OBJECT IDENTIFIER arc');
    arc = arc * 128 + (byte & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw malformed('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    } else if (i === value.length - 1) {
      throw malformed('truncated OBJECT IDENTIFIER');
    }
  }
  const head = arcs[0] ?? 0;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - top * 40, ...arcs.slice(1)].join('.');
}

/** A non-negative INTEGER that fits a JS number (SPL values, versions, salt lengths). */
export function decodeSmallUnsigned(node: DerNode, what: string): number {
  const value = derValue(expectTag(node, DER_TAG.integer, what));
  if (value.length === 0) throw malformed(`empty INTEGER for ${what}`);
  if ((value[0] ?? 0) & 0x80) throw malformed(`expected a non-negative INTEGER for ${what}, got a negative one`);
  if (value.length > 1 && value[0] === 0 && ((value[1] ?? 0) & 0x80) === 0) {
    throw malformed(`non-minimal INTEGER for ${what}`);
  }
  if (value.length > 6) throw malformed(`expected a small INTEGER for ${what}, got ${value.length} bytes`);
  return value.readUIntBE(0, value.length);
}

/** The bytes of a BIT STRING with no unused bits (signatures, public keys). */
export function decodeBitString(node: DerNode, what: string): Buffer {
  const value = derValue(expectTag(node, DER_TAG.bitString, what));
  if (value.length === 0 || value[0] !== 0) throw malformed(`expected a BIT STRING with 0 unused bits for ${what}`);
  return value.subarray(1);
}

/** UTCTime or GeneralizedTime in the `Z` form RFC 5280 requires. */
export function decodeTime(node: DerNode, what: string): Date {
  const text = derValue(node).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (node.tag === DER_TAG.utcTime) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    const yy = Number(match?.[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (node.tag === DER_TAG.generalizedTime) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    year = Number(match?.[1]);
  } else {
    throw malformed(`expected UTCTime or GeneralizedTime for ${what}, got tag 0x${node.tag.toString(16)}`);
  }
  if (!match) throw malformed(`expected a time like YYMMDDHHMMSSZ for ${what}, got "${text.slice(0, 20)}"`);
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw malformed(`expected a valid date for ${what}, got "${text}"`);
  }
  return date;
}

export function decodeString(node: DerNode, what: string): string {
  const allowed: number[] = [DER_TAG.utf8String, DER_TAG.printableString, DER_TAG.ia5String];
  if (!allowed.includes(node.tag)) throw malformed(`expected a string for ${what}, got tag 0x${node.tag.toString(16)}`);
  const value = derValue(node);
  return node.tag === DER_TAG.utf8String ? value.toString('utf8') : value.toString('latin1');
}

// A small, strict DER reader for the X.509 structures node:crypto does not expose: AMD's certificates
// (custom extensions, serial 0, RSASSA-PSS parameters), Intel's CRLs and the SGX extension of PCK
// certificates. Pure (Buffer only). Every length is bounds-checked against its enclosing element,
// input size and nesting depth are bounded, and every failure goes through the caller's `fail`
// factory so each caller raises its own typed error (error class and code).

/** Builds the error to throw for a malformed input; the reader only supplies the message. */
export type DerFailure = (message: string) => Error;

export const DER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
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
  /** 0 for an element read directly from a buffer, parent depth + 1 for children. */
  readonly depth: number;
}

/** Lengths above 2^32 - 1 are never needed (and never fit the size bound). */
const MAX_LENGTH_BYTES = 4;
/** Certificates and CRLs nest about 10 levels deep; a bound keeps hostile nesting from running away. */
export const MAX_DER_DEPTH = 32;
/** Largest input accepted: far above any certificate or CRL. */
export const MAX_DER_SIZE = 16 * 1024 * 1024;

const hex = (tag: number): string => `0x${tag.toString(16)}`;

/** Reads the TLV at `offset`, which must end at or before `limit` (default: end of `source`). */
export function readDer(source: Buffer, fail: DerFailure, offset = 0, limit = source.length, depth = 0): DerNode {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit) || offset < 0 || limit > source.length) {
    throw fail(`expected an offset and limit inside ${source.length} bytes, got ${offset}..${limit}`);
  }
  if (source.length > MAX_DER_SIZE) throw fail(`expected at most ${MAX_DER_SIZE} bytes, got ${source.length}`);
  if (depth > MAX_DER_DEPTH) throw fail(`expected nesting of at most ${MAX_DER_DEPTH} levels`);
  if (offset + 2 > limit) throw fail(`expected a tag and length at offset ${offset}, got end of data`);
  const tag = source[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw fail(`expected a single-byte tag at offset ${offset}, got ${hex(tag)}`);
  const first = source[offset + 1] ?? 0;
  let length: number;
  let valueStart: number;
  if (first < 0x80) {
    length = first;
    valueStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw fail(`indefinite length at offset ${offset} is not DER`);
    if (count > MAX_LENGTH_BYTES) throw fail(`expected at most ${MAX_LENGTH_BYTES} length bytes, got ${count}`);
    if (offset + 2 + count > limit) throw fail(`length at offset ${offset} runs past the end`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (source[offset + 2 + i] ?? 0);
    if (source[offset + 2] === 0 || length < 0x80) throw fail(`non-minimal length at offset ${offset}`);
    valueStart = offset + 2 + count;
  }
  const end = valueStart + length;
  if (end > limit) throw fail(`element at offset ${offset} needs ${length} bytes, only ${limit - valueStart} left`);
  return { tag, start: offset, valueStart, end, source, depth };
}

/** Reads a whole buffer that must hold exactly one element (no trailing data). */
export function readDerRoot(source: Buffer, fail: DerFailure): DerNode {
  const node = readDer(source, fail);
  if (node.end !== source.length) throw fail(`expected one element, got ${source.length - node.end} trailing bytes`);
  return node;
}

export function expectTag(node: DerNode, tag: number, fail: DerFailure, what?: string): DerNode {
  if (node.tag !== tag) {
    throw fail(`expected tag ${hex(tag)}${what === undefined ? '' : ` for ${what}`}, got ${hex(node.tag)}`);
  }
  return node;
}

/** The elements inside a constructed node, in order; optionally checks the node's tag first. */
export function derChildren(node: DerNode, fail: DerFailure, expectedTag?: number, what?: string): DerNode[] {
  if (expectedTag !== undefined) expectTag(node, expectedTag, fail, what);
  if ((node.tag & 0x20) === 0) throw fail(`expected a constructed element, got tag ${hex(node.tag)}`);
  const children: DerNode[] = [];
  let offset = node.valueStart;
  while (offset < node.end) {
    const child = readDer(node.source, fail, offset, node.end, node.depth + 1);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The contents (value bytes) of a node. */
export function derValue(node: DerNode): Buffer {
  return node.source.subarray(node.valueStart, node.end);
}

/** The whole TLV encoding of a node. */
export function derBytes(node: DerNode): Buffer {
  return node.source.subarray(node.start, node.end);
}

/** OBJECT IDENTIFIER in dotted form. */
export function derOid(node: DerNode, fail: DerFailure): string {
  const value = derValue(expectTag(node, DER_TAG.oid, fail, 'OBJECT IDENTIFIER'));
  if (value.length === 0) throw fail('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i] ?? 0;
    if (arc === 0 && byte === 0x80) throw fail('non-minimal OBJECT IDENTIFIER arc');
    arc = arc * 128 + (byte & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw fail('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    } else if (i === value.length - 1) {
      throw fail('truncated OBJECT IDENTIFIER');
    }
  }
  const head = arcs[0] ?? 0;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - top * 40, ...arcs.slice(1)].join('.');
}

/**
 * A minimally encoded, non-negative INTEGER (or, with `tag`, ENUMERATED) of at most `maxBytes` content
 * bytes, as a number: versions, SPLs, SVNs, salt lengths.
 */
export function derUnsigned(
  node: DerNode,
  fail: DerFailure,
  what: string,
  maxBytes = 6,
  tag: number = DER_TAG.integer,
): number {
  const value = derValue(expectTag(node, tag, fail, what));
  if (value.length === 0) throw fail(`empty INTEGER for ${what}`);
  if ((value[0] ?? 0) & 0x80) throw fail(`expected a non-negative INTEGER for ${what}, got a negative one`);
  if (value.length > 1 && value[0] === 0 && ((value[1] ?? 0) & 0x80) === 0) {
    throw fail(`non-minimal INTEGER for ${what}`);
  }
  if (value.length > maxBytes) {
    throw fail(`expected an INTEGER of at most ${maxBytes} bytes for ${what}, got ${value.length} bytes`);
  }
  return value.readUIntBE(0, value.length);
}

/** INTEGER as lowercase hex without leading zero bytes (certificate serial numbers). */
export function derIntegerHex(node: DerNode, fail: DerFailure): string {
  const value = derValue(expectTag(node, DER_TAG.integer, fail, 'INTEGER'));
  if (value.length === 0) throw fail('expected a non-empty INTEGER');
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start).toString('hex');
}

/** The bytes of a BIT STRING with no unused bits (signatures, public keys). */
export function derBitString(node: DerNode, fail: DerFailure, what: string): Buffer {
  const value = derValue(expectTag(node, DER_TAG.bitString, fail, what));
  if (value.length === 0 || value[0] !== 0) throw fail(`expected a BIT STRING with 0 unused bits for ${what}`);
  return value.subarray(1);
}

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), the forms RFC 5280 requires. */
export function derTime(node: DerNode, fail: DerFailure, what: string): Date {
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
    throw fail(`expected UTCTime or GeneralizedTime for ${what}, got tag ${hex(node.tag)}`);
  }
  if (!match) throw fail(`expected a time like YYMMDDHHMMSSZ for ${what}, got "${text.slice(0, 20)}"`);
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw fail(`expected a valid date for ${what}, got "${text}"`);
  }
  return date;
}

/** UTF8String, PrintableString or IA5String as text. */
export function derString(node: DerNode, fail: DerFailure, what: string): string {
  const allowed: number[] = [DER_TAG.utf8String, DER_TAG.printableString, DER_TAG.ia5String];
  if (!allowed.includes(node.tag)) throw fail(`expected a string for ${what}, got tag ${hex(node.tag)}`);
  const value = derValue(node);
  return node.tag === DER_TAG.utf8String ? value.toString('utf8') : value.toString('latin1');
}

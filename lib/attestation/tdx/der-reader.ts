// Minimal DER reader for the few X.509 structures node:crypto does not expose (CRLs, the SGX
// extension). Every length is checked against its enclosing element; failures go through `fail`
// so each caller raises its own error code.

export type DerFailure = (message: string) => Error;

export interface DerElement {
  readonly tag: number;
  /** The whole TLV encoding. */
  readonly encoded: Buffer;
  /** The value bytes only. */
  readonly content: Buffer;
}

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the one element at `offset`; returns it and the offset just after it. */
export function readDerElement(bytes: Buffer, offset: number, fail: DerFailure): { element: DerElement; next: number } {
  if (offset + 2 > bytes.length) throw fail(`expected a DER element at offset ${offset}, got end of data`);
  const tag = bytes[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f)
    throw fail(`expected a single-byte DER tag at offset ${offset}, got 0x${tag.toString(16)}`);
  let length = bytes[offset + 1] ?? 0;
  let headerLength = 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4)
      throw fail(`expected a definite DER length of 1-4 bytes, got ${lengthBytes}`);
    if (offset + 2 + lengthBytes > bytes.length) throw fail(`DER length at offset ${offset} runs past the end`);
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
    headerLength += lengthBytes;
  }
  const end = offset + headerLength + length;
  if (end > bytes.length) {
    throw fail(
      `DER element at offset ${offset} declares ${length} bytes, only ${bytes.length - offset - headerLength} remain`,
    );
  }
  return {
    element: {
      tag,
      encoded: bytes.subarray(offset, end),
      content: bytes.subarray(offset + headerLength, end),
    },
    next: end,
  };
}

/** Parses `bytes` as exactly one element (no trailing data). */
export function parseDer(bytes: Buffer, fail: DerFailure): DerElement {
  const { element, next } = readDerElement(bytes, 0, fail);
  if (next !== bytes.length) throw fail(`expected one DER element, got ${bytes.length - next} trailing bytes`);
  return element;
}

/** The children of a constructed element, optionally checking its tag. */
export function derChildren(element: DerElement, fail: DerFailure, expectedTag?: number): DerElement[] {
  if (expectedTag !== undefined) expectTag(element, expectedTag, fail);
  const children: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const { element: child, next } = readDerElement(element.content, offset, fail);
    children.push(child);
    offset = next;
  }
  return children;
}

export function expectTag(element: DerElement, tag: number, fail: DerFailure): DerElement {
  if (element.tag !== tag) {
    throw fail(`expected DER tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  }
  return element;
}

export function derOid(element: DerElement, fail: DerFailure): string {
  const content = expectTag(element, DER_TAG.OID, fail).content;
  if (content.length === 0) throw fail('expected a non-empty OID');
  const first = content[0] ?? 0;
  const arcs: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < content.length; i++) {
    const byte = content[i] ?? 0;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw fail('expected OID arcs below 2^46');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      throw fail('expected the OID to end with a complete arc');
    }
  }
  return arcs.join('.');
}

/** A small non-negative INTEGER or ENUMERATED as a number (SVNs, SGX type). */
export function derSmallInteger(element: DerElement, fail: DerFailure): number {
  if (element.tag !== DER_TAG.INTEGER && element.tag !== DER_TAG.ENUMERATED) {
    throw fail(`expected an INTEGER, got DER tag 0x${element.tag.toString(16)}`);
  }
  const content = element.content;
  if (content.length === 0 || content.length > 4 || ((content[0] ?? 0) & 0x80) !== 0) {
    throw fail(`expected a non-negative integer of at most 31 bits, got ${content.length} bytes`);
  }
  return content.readUIntBE(0, content.length);
}

/** INTEGER as lowercase hex without leading zero bytes (certificate serial numbers). */
export function derIntegerHex(element: DerElement, fail: DerFailure): string {
  const content = expectTag(element, DER_TAG.INTEGER, fail).content;
  if (content.length === 0) throw fail('expected a non-empty INTEGER');
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  return content.subarray(start).toString('hex');
}

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
export function derTime(element: DerElement, fail: DerFailure): Date {
  const text = element.content.toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === DER_TAG.UTC_TIME && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const yy = Number(match[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (
    element.tag === DER_TAG.GENERALIZED_TIME &&
    (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))
  ) {
    year = Number(match[1]);
  } else {
    throw fail(`expected a UTCTime or GeneralizedTime in Z form, got tag 0x${element.tag.toString(16)}`);
  }
  const [, , month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year, (month ?? 1) - 1, day, hour, minute, second));
  if (Number.isNaN(date.getTime())) throw fail('expected a valid date');
  return date;
}

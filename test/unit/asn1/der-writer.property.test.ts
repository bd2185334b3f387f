// The DER writer against the DER reader: whatever the writer writes, the reader reads back as the same value
// (property tests over random values and random nested structures), known encodings from X.690 and real
// certificates byte for byte, and inputs without a DER form refused with INVALID_ARGUMENT.
import t from 'tap';
import fc from 'fast-check';
import { InputError } from '../../../lib/errors.js';
import {
  DER_TAG,
  derBitString,
  derBytes,
  derChildren,
  derIntegerHex,
  derOid,
  derString,
  derTime,
  derUnsigned,
  derValue,
  readDerRoot,
  type DerFailure,
  type DerNode,
} from '../../../lib/asn1/der-reader.js';
import {
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeIa5String,
  encodeImplicit,
  encodeInteger,
  encodeNamedBits,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodePrintableString,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../../../lib/asn1/der-writer.js';

const fail: DerFailure = (message) => new Error(`reader: ${message}`);
const read = (der: Buffer): DerNode => readDerRoot(der, fail);
const hex = (der: Buffer): string => der.toString('hex');
const invalid = { constructor: InputError, code: 'INVALID_ARGUMENT' };

const RUNS = { numRuns: 500 };

t.test('INTEGER: minimal, positive, read back as the same value', (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 200n) - 1n }), (value) => {
      const node = read(encodeInteger(value));
      const contents = derValue(node);
      const minimal = contents.length === 1 || contents[0] !== 0 || ((contents[1] ?? 0) & 0x80) !== 0;
      return (
        node.tag === DER_TAG.integer &&
        BigInt(`0x${derIntegerHex(node, fail)}`) === value &&
        ((contents[0] ?? 0) & 0x80) === 0 &&
        minimal
      );
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
      const magnitude = Buffer.from(bytes);
      const node = read(encodeInteger(magnitude));
      const expected = magnitude.length === 0 ? 0n : BigInt(`0x${hex(magnitude)}`);
      return BigInt(`0x${derIntegerHex(node, fail)}`) === expected;
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 47 - 1 }), (value) => {
      return derUnsigned(read(encodeInteger(BigInt(value))), fail, 'n') === value;
    }),
    RUNS,
  );
  t.end();
});

t.test('OBJECT IDENTIFIER: the dotted form read back', (t) => {
  const oid = fc
    .tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 8 }),
    )
    .map(([top, second, rest]) => [top, top < 2 ? second % 40 : second, ...rest].join('.'));
  fc.assert(
    fc.property(oid, (dotted) => derOid(read(encodeOid(dotted)), fail) === dotted),
    RUNS,
  );
  t.end();
});

t.test('strings: UTF8String, PrintableString and IA5String read back as the same text', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
      const node = read(encodeUtf8String(text));
      return node.tag === DER_TAG.utf8String && derString(node, fail, 's') === text;
    }),
    RUNS,
  );
  const printable = fc.string({
    unit: fc.constantFrom(..."ABCXYZabcxyz0189 '()+,-./:=?".split('')),
    maxLength: 64,
  });
  fc.assert(
    fc.property(printable, (text) => derString(read(encodePrintableString(text)), fail, 's') === text),
    RUNS,
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary-ascii', maxLength: 100 }), (text) => {
      const node = read(encodeIa5String(text));
      return node.tag === DER_TAG.ia5String && derString(node, fail, 's') === text;
    }),
    RUNS,
  );
  t.end();
});

t.test('times: UTCTime for 1950-2049, GeneralizedTime otherwise, read back to the second', (t) => {
  // From year 100: the reader builds dates with Date.UTC, which maps years 0-99 to 1900-1999.
  const date = fc.date({
    min: new Date('0100-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  fc.assert(
    fc.property(date, (value) => {
      const node = read(encodeTime(value));
      const year = value.getUTCFullYear();
      const tag = year >= 1950 && year <= 2049 ? DER_TAG.utcTime : DER_TAG.generalizedTime;
      const seconds = Math.floor(value.getTime() / 1000) * 1000;
      return node.tag === tag && derTime(node, fail, 't').getTime() === seconds;
    }),
    RUNS,
  );
  t.end();
});

t.test('BIT STRING, OCTET STRING, BOOLEAN and NULL read back', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const value = Buffer.from(bytes);
      return (
        derBitString(read(encodeBitString(value)), fail, 'b').equals(value) &&
        derValue(read(encodeOctetString(value))).equals(value)
      );
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }), (bits) => {
      const contents = derValue(read(encodeNamedBits(bits)));
      const unused = contents[0] ?? 0;
      const data = contents.subarray(1);
      const set = (bit: number): boolean => (((data[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) === 1;
      const highest = data.length * 8 - 1 - unused;
      return (
        bits.every(set) &&
        Array.from({ length: data.length * 8 }, (_, bit) => bit).every((bit) => set(bit) === bits.includes(bit)) &&
        set(highest)
      );
    }),
    RUNS,
  );
  t.equal(hex(derValue(read(encodeBoolean(true)))), 'ff', 'TRUE is 0xff in DER');
  t.equal(hex(derValue(read(encodeBoolean(false)))), '00');
  t.equal(hex(encodeNull()), '0500');
  t.end();
});

interface Tree {
  readonly der: Buffer;
  /** What the reader must find: a leaf's tag and contents, or a constructed node's children. */
  readonly shape: { tag: number; value?: Buffer; children?: readonly Tree['shape'][] };
}

t.test('nested SEQUENCE, SET, explicit and implicit tags: the same tree read back', (t) => {
  const leaf: fc.Arbitrary<Tree> = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => {
      const der = encodeOctetString(Buffer.from(bytes));
      return { der, shape: { tag: DER_TAG.octetString, value: Buffer.from(bytes) } };
    }),
    fc.bigInt({ min: 0n, max: 1n << 64n }).map((value) => {
      const der = encodeInteger(value);
      return { der, shape: { tag: DER_TAG.integer, value: derValue(read(der)) } };
    }),
  );
  const tree = fc.letrec<{ node: Tree }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 5 }).map((children) => ({
        der: encodeSequence(...children.map((child) => child.der)),
        shape: { tag: DER_TAG.sequence, children: children.map((child) => child.shape) },
      })),
      fc.array(tie('node'), { maxLength: 5 }).map((children) => {
        const sorted = [...children].sort((a, b) => Buffer.compare(a.der, b.der));
        return {
          der: encodeSet(...children.map((child) => child.der)),
          shape: { tag: DER_TAG.set, children: sorted.map((child) => child.shape) },
        };
      }),
      fc.tuple(fc.integer({ min: 0, max: 30 }), tie('node')).map(([n, child]) => ({
        der: encodeExplicit(n, child.der),
        shape: { tag: 0xa0 | n, children: [child.shape] },
      })),
      fc.tuple(fc.integer({ min: 0, max: 30 }), tie('node')).map(([n, child]) => ({
        der: encodeImplicit(n, child.der),
        shape: { ...child.shape, tag: (child.shape.tag & 0x20) | 0x80 | n },
      })),
    ),
  })).node;
  const matches = (node: DerNode, shape: Tree['shape']): boolean => {
    if (node.tag !== shape.tag) return false;
    if (shape.children === undefined) return shape.value !== undefined && derValue(node).equals(shape.value);
    const children = derChildren(node, fail);
    return (
      children.length === shape.children.length && children.every((child, i) => matches(child, shape.children![i]!))
    );
  };
  fc.assert(
    fc.property(tree, ({ der, shape }) => {
      const node = read(der);
      return matches(node, shape) && derBytes(node).equals(der);
    }),
    RUNS,
  );
  t.end();
});

t.test('known encodings', (t) => {
  const table: [string, Buffer, string][] = [
    ['INTEGER 0', encodeInteger(0n), '020100'],
    ['INTEGER 127', encodeInteger(127n), '02017f'],
    ['INTEGER 128 gets a leading zero', encodeInteger(128n), '02020080'],
    ['INTEGER 256', encodeInteger(256n), '02020100'],
    ['INTEGER from bytes, leading zeros dropped', encodeInteger(Buffer.from('00000c03', 'hex')), '02020c03'],
    ['INTEGER from empty bytes is 0', encodeInteger(Buffer.alloc(0)), '020100'],
    ['INTEGER from bytes, high bit', encodeInteger(Buffer.from('ff', 'hex')), '020200ff'],
    ['OID RSASSA-PSS', encodeOid('1.2.840.113549.1.1.10'), '06092a864886f70d01010a'],
    ['OID 2.999.3', encodeOid('2.999.3'), '0603883703'],
    ['OID ecdsa-with-SHA256', encodeOid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
    ['OID commonName', encodeOid('2.5.4.3'), '0603550403'],
    ['keyUsage digitalSignature', encodeNamedBits([0]), '03020780'],
    ['keyUsage digitalSignature, keyCertSign, cRLSign', encodeNamedBits([0, 5, 6]), '03020186'],
    ['keyUsage keyCertSign, cRLSign', encodeNamedBits([5, 6]), '03020106'],
    ['keyUsage decipherOnly (second byte)', encodeNamedBits([8]), '0303070080'],
    ['empty named bit list', encodeNamedBits([]), '030100'],
    ['BIT STRING with 4 unused bits', encodeBitString(Buffer.from('a0', 'hex'), 4), '030204a0'],
    ['UTCTime 2023', encodeTime(new Date('2023-06-08T07:27:52.999Z')), `170d${hex(Buffer.from('230608072752Z'))}`],
    ['UTCTime 1950', encodeTime(new Date('1950-01-01T00:00:00Z')), `170d${hex(Buffer.from('500101000000Z'))}`],
    ['UTCTime 2049', encodeTime(new Date('2049-12-31T23:59:59Z')), `170d${hex(Buffer.from('491231235959Z'))}`],
    [
      'GeneralizedTime 2050',
      encodeTime(new Date('2050-01-01T00:00:00Z')),
      `180f${hex(Buffer.from('20500101000000Z'))}`,
    ],
    [
      'GeneralizedTime 1949',
      encodeTime(new Date('1949-12-31T23:59:59Z')),
      `180f${hex(Buffer.from('19491231235959Z'))}`,
    ],
    ['SET members sorted', encodeSet(encodeInteger(2n), encodeNull(), encodeInteger(1n)), '31080201010201020500'],
    ['[3] EXPLICIT', encodeExplicit(3, encodeNull()), 'a3020500'],
    ['[0] IMPLICIT OCTET STRING', encodeImplicit(0, encodeOctetString(Buffer.from('ab', 'hex'))), '8001ab'],
    ['[1] IMPLICIT SEQUENCE stays constructed', encodeImplicit(1, encodeSequence()), 'a100'],
    ['length 127 short form', encodeOctetString(Buffer.alloc(127)).subarray(0, 2), '047f'],
    ['length 128 long form', encodeOctetString(Buffer.alloc(128)).subarray(0, 3), '048180'],
    ['length 256', encodeOctetString(Buffer.alloc(256)).subarray(0, 4), '04820100'],
    ['length 65536', encodeOctetString(Buffer.alloc(65536)).subarray(0, 5), '0483010000'],
  ];
  for (const [name, der, expected] of table) t.equal(hex(der), expected, name);
  t.end();
});

t.test('inputs without a DER form are INVALID_ARGUMENT', (t) => {
  const cases: [string, () => unknown][] = [
    ['negative INTEGER', () => encodeInteger(-1n)],
    ['OID with one arc', () => encodeOid('1')],
    ['OID first arc 3', () => encodeOid('3.1')],
    ['OID second arc 40 under 1', () => encodeOid('1.40')],
    ['OID leading zero', () => encodeOid('1.02.3')],
    ['OID text', () => encodeOid('commonName')],
    ['OID empty arc', () => encodeOid('1..2')],
    ['BIT STRING 8 unused bits', () => encodeBitString(Buffer.from([0]), 8)],
    ['BIT STRING unused bits not zero', () => encodeBitString(Buffer.from([0x01]), 1)],
    ['empty BIT STRING with unused bits', () => encodeBitString(Buffer.alloc(0), 1)],
    ['named bit -1', () => encodeNamedBits([-1])],
    ['PrintableString with _', () => encodePrintableString('a_b')],
    ['PrintableString with *', () => encodePrintableString('*.example')],
    ['IA5String with ü', () => encodeIa5String('ü')],
    ['UTF8String with a lone surrogate', () => encodeUtf8String('\ud800')],
    ['invalid date', () => encodeTime(new Date(Number.NaN))],
    ['year 10000', () => encodeTime(new Date('+010000-01-01T00:00:00Z'))],
    ['context tag 31', () => encodeExplicit(31, encodeNull())],
    ['context tag -1', () => encodeImplicit(-1, encodeNull())],
    ['IMPLICIT of nothing', () => encodeImplicit(0, Buffer.alloc(0))],
    ['multi-byte tag', () => encodeTlv(0x1f, Buffer.alloc(0))],
    ['tag above a byte', () => encodeTlv(0x100, Buffer.alloc(0))],
  ];
  for (const [name, run] of cases) t.throws(run, invalid, name);
  t.end();
});

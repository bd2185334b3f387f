// Property tests for the shared DER reader: random bytes and DER mutated from real certificates and CRLs
// (AMD SEV-SNP, Intel SGX/TDX) give nodes and values or the error built by the caller's failure factory,
// never another exception; SNP and TDX callers keep their own error classes and codes.
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { VerificationError } from '../../../lib/errors.js';
import {
  DER_TAG,
  MAX_DER_DEPTH,
  derBitString,
  derBytes,
  derChildren,
  derIntegerHex,
  derOid,
  derString,
  derTime,
  derUnsigned,
  derValue,
  readDer,
  readDerRoot,
  type DerFailure,
  type DerNode,
} from '../../../lib/asn1/der-reader.js';
import { parseAmdCertificate } from '../../../lib/attestation/snp/amd-certificate.js';
import { parseCrl } from '../../../lib/attestation/tdx/crl.js';

class DerTestError extends Error {
  override readonly name = 'DerTestError';
}
const fail: DerFailure = (message) => new DerTestError(message);
const typed = { constructor: DerTestError, name: 'DerTestError' };

const vector = (path: string): Buffer => readFileSync(new URL(`../../vectors/${path}`, import.meta.url));

function pemBlocks(text: string): Buffer[] {
  const blocks = [...text.matchAll(/-----BEGIN [A-Z0-9 ]+-----([A-Za-z0-9+/=\s]*?)-----END [A-Z0-9 ]+-----/g)];
  return blocks.map((block) => Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

const SNP_VCEK = vector('sev-snp/virtee-sev/vcek_milan.der');
const INTEL_PCK_CRL = vector('tdx/go-tdx-guest/pckcrl');
const SEEDS: readonly Buffer[] = [
  vector('sev-snp/go-sev-guest/vcek.testcer'),
  SNP_VCEK,
  vector('sev-snp/virtee-sev/vcek_turin.der'),
  ...pemBlocks(vector('sev-snp/amd-roots/ask_ark_milan.pem').toString('utf8')),
  INTEL_PCK_CRL,
  vector('tdx/go-tdx-guest/rootcrl.der'),
  ...pemBlocks(vector('tdx/go-tdx-guest/pck_crl_issuer_chain.pem').toString('utf8')),
  // The PCK certificate chain embedded in a real quote (carries the SGX extension).
  ...pemBlocks(vector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat').toString('latin1')),
];

/** Runs `run`; true when it returns or throws the supplied typed error. */
function resultOrFailure(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof DerTestError;
  }
}

/** Reads every element of `buffer`, descends into constructed ones and applies every decoder to each. */
function walk(buffer: Buffer): boolean {
  let ok = true;
  const visit = (node: DerNode): void => {
    ok &&= resultOrFailure(() => derValue(node).length + derBytes(node).length);
    for (const decode of [
      () => derOid(node, fail),
      () => derUnsigned(node, fail, 'value'),
      () => derIntegerHex(node, fail),
      () => derBitString(node, fail, 'value'),
      () => derTime(node, fail, 'value'),
      () => derString(node, fail, 'value'),
    ]) {
      ok &&= resultOrFailure(decode);
    }
    if ((node.tag & 0x20) !== 0) {
      let children: DerNode[] = [];
      ok &&= resultOrFailure(() => (children = derChildren(node, fail)));
      children.forEach(visit);
    }
  };
  let offset = 0;
  while (ok && offset < buffer.length) {
    let node: DerNode | undefined;
    ok &&= resultOrFailure(() => (node = readDer(buffer, fail, offset)));
    if (!node) break;
    visit(node);
    offset = node.end;
  }
  return ok;
}

const mutated = (base: Buffer): fc.Arbitrary<Buffer> =>
  fc
    .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .chain((edits) =>
      fc.nat({ max: base.length }).map((cut) => {
        const copy = Buffer.from(base);
        for (const [index, value] of edits) copy[index] = value;
        return edits.length % 3 === 0 ? copy.subarray(0, cut) : copy;
      }),
    );

t.test('random bytes → nodes and values or the supplied failure', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => walk(Buffer.from(bytes))),
    { numRuns: 2000 },
  );
  t.pass('no other exception');
  t.end();
});

t.test('DER-shaped random input (valid headers, random contents) → nodes or the supplied failure', (t) => {
  const element = fc.letrec<{ tlv: Buffer }>((tie) => ({
    tlv: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .tuple(
          fc.constantFrom(0x02, 0x03, 0x04, 0x06, 0x0a, 0x0c, 0x13, 0x16, 0x17, 0x18),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([tag, value]) => Buffer.concat([Buffer.from([tag, value.length]), value])),
      fc
        .tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa3), fc.array(tie('tlv'), { maxLength: 4 }))
        .map(([tag, children]) => {
          const value = Buffer.concat(children);
          const length = value.length < 0x80 ? [value.length] : [0x82, (value.length >> 8) & 0xff, value.length & 0xff];
          return Buffer.concat([Buffer.from([tag, ...length]), value]);
        }),
    ),
  })).tlv;
  fc.assert(
    fc.property(element, (der) => walk(der)),
    { numRuns: 1000 },
  );
  t.end();
});

t.test('mutated SNP and TDX certificates and CRLs → nodes and values or the supplied failure', (t) => {
  t.ok(SEEDS.length >= 8, 'all seed vectors found');
  for (const seed of SEEDS) {
    t.ok(walk(seed), 'the unmodified vector walks cleanly');
    fc.assert(
      fc.property(mutated(seed), (der) => walk(der)),
      { numRuns: 80 },
    );
  }
  t.end();
});

t.test('deep nesting is bounded: the supplied failure, not a stack overflow', (t) => {
  const descend = (der: Buffer): number => {
    let node = readDerRoot(der, fail);
    let levels = 0;
    for (;;) {
      const [child] = derChildren(node, fail);
      if (!child) return levels;
      levels++;
      node = child;
      if (node.tag !== DER_TAG.sequence) return levels;
    }
  };
  const nested = (depth: number): Buffer => {
    let der = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < depth; i++) {
      const n = der.length;
      const header = n < 0x80 ? [0x30, n] : n < 0x100 ? [0x30, 0x81, n] : [0x30, 0x82, n >> 8, n & 0xff];
      der = Buffer.concat([Buffer.from(header), der]);
    }
    return der;
  };
  t.equal(descend(nested(MAX_DER_DEPTH)), MAX_DER_DEPTH, 'nesting up to the bound is read');
  t.throws(() => descend(nested(MAX_DER_DEPTH + 1)), typed, 'one level more is the supplied failure');
  t.end();
});

t.test('offsets and limits outside the buffer are the supplied failure', (t) => {
  const der = Buffer.from([0x04, 0x01, 0xaa]);
  t.equal(readDer(der, fail).end, 3);
  t.throws(() => readDer(der, fail, 0, 4), typed);
  t.throws(() => readDer(der, fail, -1), typed);
  t.throws(() => readDer(der, fail, 0.5), typed);
  t.throws(() => readDerRoot(Buffer.from([0x04, 0x01, 0xaa, 0x00]), fail), typed, 'trailing data');
  t.throws(() => readDerRoot(Buffer.from([0x04, 0x80]), fail), typed, 'indefinite length');
  t.throws(() => readDerRoot(Buffer.from([0x1f, 0x01, 0x00]), fail), typed, 'multi-byte tag');
  t.throws(() => readDerRoot(Buffer.from([0x04, 0x81, 0x01, 0xaa]), fail), typed, 'non-minimal length');
  t.throws(() => readDerRoot(Buffer.from([0x04, 0x85, 0, 0, 0, 0, 1, 0xaa]), fail), typed, '5 length bytes');
  t.end();
});

t.test('decoders read real values', (t) => {
  const oid = readDerRoot(Buffer.from('06092a864886f70d01010a', 'hex'), fail);
  t.equal(derOid(oid, fail), '1.2.840.113549.1.1.10');
  t.equal(derOid(readDerRoot(Buffer.from('0603883703', 'hex'), fail), fail), '2.999.3');
  t.equal(derUnsigned(readDerRoot(Buffer.from('02020080', 'hex'), fail), fail, 'n'), 128);
  t.throws(() => derUnsigned(readDerRoot(Buffer.from('0202007f', 'hex'), fail), fail, 'n'), typed);
  t.throws(() => derUnsigned(readDerRoot(Buffer.from('020180', 'hex'), fail), fail, 'n'), typed);
  t.throws(() => derUnsigned(readDerRoot(Buffer.from('020401000000', 'hex'), fail), fail, 'n', 3), typed);
  t.equal(derUnsigned(readDerRoot(Buffer.from('0a0102', 'hex'), fail), fail, 'e', 4, DER_TAG.enumerated), 2);
  t.equal(derIntegerHex(readDerRoot(Buffer.from('0203000c03', 'hex'), fail), fail), '0c03');
  const time = (hex: string): Date => derTime(readDerRoot(Buffer.from(hex, 'hex'), fail), fail, 't');
  t.equal(time(`170d${Buffer.from('230608072752Z').toString('hex')}`).toISOString(), '2023-06-08T07:27:52.000Z');
  t.equal(time(`180f${Buffer.from('20491231235959Z').toString('hex')}`).toISOString(), '2049-12-31T23:59:59.000Z');
  t.throws(() => time(`170d${Buffer.from('230230072752Z').toString('hex')}`), typed, 'February 30th');

  const certificate = readDerRoot(SNP_VCEK, fail);
  const [tbs, , signature] = derChildren(certificate, fail, DER_TAG.sequence);
  t.ok(tbs && signature);
  if (signature) t.equal(derBitString(signature, fail, 'signature').length, 512, 'RSA-4096 signature');
  if (tbs) t.equal(derBytes(tbs).length, tbs.end - tbs.start);
  t.end();
});

t.test('callers keep their typed errors: SNP_CERT_MALFORMED and TDX_CRL_INVALID', (t) => {
  const truncated = SNP_VCEK.subarray(0, 100);
  t.throws(() => parseAmdCertificate(truncated), {
    constructor: VerificationError,
    code: 'SNP_CERT_MALFORMED',
    message: /^Malformed DER: /,
  });
  t.throws(() => parseCrl(INTEL_PCK_CRL.subarray(0, 100), 'PCK CRL'), {
    constructor: VerificationError,
    code: 'TDX_CRL_INVALID',
    message: /^PCK CRL: /,
  });
  t.end();
});

import t from 'tap';
import fc from 'fast-check';
import { ConstellationError, VerificationError } from '../../../../lib/errors.js';
import { parseTdxQuote, TDX_ERROR, type TdxQuote } from '../../../../lib/attestation/tdx/index.js';
import { COS_QUOTE, expectedQuote, tdxVector, V4_QUOTE, V5_QUOTE } from './tdx-vectors.js';

const BODY_FIELDS: readonly [string, (q: TdxQuote) => Buffer | undefined][] = [
  ['tee_tcb_svn', (q) => q.body.teeTcbSvn],
  ['mrseam', (q) => q.body.mrSeam],
  ['mrsignerseam', (q) => q.body.mrSignerSeam],
  ['seam_attributes', (q) => q.body.seamAttributes],
  ['td_attributes', (q) => q.body.tdAttributes],
  ['xfam', (q) => q.body.xfam],
  ['mrtd', (q) => q.body.mrTd],
  ['mrconfigid', (q) => q.body.mrConfigId],
  ['mrowner', (q) => q.body.mrOwner],
  ['mrownerconfig', (q) => q.body.mrOwnerConfig],
  ['rtmr0', (q) => q.body.rtmrs[0]],
  ['rtmr1', (q) => q.body.rtmrs[1]],
  ['rtmr2', (q) => q.body.rtmrs[2]],
  ['rtmr3', (q) => q.body.rtmrs[3]],
  ['report_data', (q) => q.body.reportData],
  ['tee_tcb_svn2', (q) => q.body.teeTcbSvn2],
  ['mrservicetd', (q) => q.body.mrServiceTd],
];

for (const file of [V4_QUOTE, V5_QUOTE, COS_QUOTE]) {
  t.test(`parses ${file} exactly as expected.json`, (t) => {
    const expected = expectedQuote(file);
    const quote = parseTdxQuote(tdxVector(file));
    t.equal(quote.header.version, expected.header.version);
    t.equal(quote.header.qeVendorId.toString('hex'), expected.header.qe_vendor_id);
    t.equal(quote.header.userData.toString('hex'), expected.header.user_data);
    t.equal(quote.bodyType, expected.body_type);
    for (const [name, get] of BODY_FIELDS) {
      t.equal(get(quote)?.toString('hex'), expected.td_quote_body[name], name);
    }
    t.equal(quote.attestationKey.toString('hex'), expected.attestation_key_xy);
    t.equal(quote.qeReport.cpuSvn.toString('hex'), expected.qe_report.cpusvn);
    t.equal(quote.qeReport.mrSigner.toString('hex'), expected.qe_report.mrsigner);
    t.equal(quote.qeReport.isvProdId, expected.qe_report.isvprodid);
    t.equal(quote.qeReport.isvSvn, expected.qe_report.isvsvn);
    t.equal(quote.qeReport.reportData.toString('hex'), expected.qe_report.report_data);
    t.equal(quote.qeAuthData.toString('hex'), expected.qe_auth_data);
    t.equal(quote.pckChainPem.match(/BEGIN CERTIFICATE/g)?.length, 3);
    t.end();
  });
}

t.test('signed bytes are header+body (v4: [0,632), v5: [0,702))', (t) => {
  t.equal(parseTdxQuote(tdxVector(V4_QUOTE)).signedBytes.length, 632);
  t.equal(parseTdxQuote(tdxVector(V5_QUOTE)).signedBytes.length, 702);
  t.end();
});

t.test('trailing bytes after the signed data are ignored', (t) => {
  const quote = tdxVector(V4_QUOTE);
  t.equal(quote.subarray(-39).toString('latin1'), '\nextra bytes(only for testing purpose)\n');
  const trimmed = parseTdxQuote(quote.subarray(0, quote.length - 39));
  t.same(parseTdxQuote(quote).body.mrTd, trimmed.body.mrTd);
  t.equal(tdxVector(COS_QUOTE).length, 8000);
  t.end();
});

t.test('header fields that are not TDX ECDSA P-256 are unsupported', (t) => {
  const cases: readonly [string, number, number, number][] = [
    ['version 3', 0, 2, 3],
    ['version 6', 0, 2, 6],
    ['attestation key type 3 (ECDSA P-384)', 2, 2, 3],
    ['TEE type 0 (SGX)', 4, 4, 0],
  ];
  for (const [name, offset, size, value] of cases) {
    const quote = Buffer.from(tdxVector(V4_QUOTE));
    quote.writeUIntLE(value, offset, size);
    t.throws(() => parseTdxQuote(quote), { constructor: VerificationError, code: TDX_ERROR.QUOTE_UNSUPPORTED }, name);
  }
  t.end();
});

t.test('v5 body descriptor must be type 2/584 or type 3/648', (t) => {
  for (const [type, size] of [
    [1, 584],
    [3, 584],
    [2, 648],
    [4, 648],
  ] as const) {
    const quote = Buffer.from(tdxVector(V5_QUOTE));
    quote.writeUInt16LE(type, 48);
    quote.writeUInt32LE(size, 50);
    t.throws(() => parseTdxQuote(quote), { constructor: VerificationError, code: TDX_ERROR.QUOTE_UNSUPPORTED });
  }
  t.end();
});

t.test('inconsistent lengths are malformed', (t) => {
  const v4 = tdxVector(V4_QUOTE);
  const cases: readonly [string, (q: Buffer) => Buffer][] = [
    ['truncated header', (q) => q.subarray(0, 40)],
    ['larger than 64 KiB', (q) => Buffer.concat([q, Buffer.alloc(64 * 1024)])],
    ['truncated body', (q) => q.subarray(0, 600)],
    ['truncated signed data', (q) => q.subarray(0, 1000)],
    ['signed data size too large', (q) => (q.writeUInt32LE(0xffffffff, 632), q)],
    ['signed data size lowered (upstream tamper 0x278 := 0x10)', (q) => ((q[0x278] = 0x10), q)],
    ['certification data size off by one', (q) => (q.writeUInt32LE(q.readUInt32LE(636 + 130) + 1, 636 + 130), q)],
    ['QE auth data size too large', (q) => (q.writeUInt16LE(0xffff, 636 + 134 + 384 + 64), q)],
  ];
  for (const [name, mutate] of cases) {
    t.throws(
      () => parseTdxQuote(mutate(Buffer.from(v4))),
      { constructor: VerificationError, code: TDX_ERROR.QUOTE_MALFORMED },
      name,
    );
  }
  t.end();
});

t.test('certification data types other than 6 (outer) and 5 (inner) are unsupported', (t) => {
  const outer = Buffer.from(tdxVector(V4_QUOTE));
  outer.writeUInt16LE(5, 636 + 128);
  t.throws(() => parseTdxQuote(outer), { constructor: VerificationError, code: TDX_ERROR.QUOTE_UNSUPPORTED });
  const inner = Buffer.from(tdxVector(V4_QUOTE));
  const innerTypeOffset = 636 + 134 + 384 + 64 + 2 + 32;
  t.equal(inner.readUInt16LE(innerTypeOffset), 5);
  inner.writeUInt16LE(1, innerTypeOffset);
  t.throws(() => parseTdxQuote(inner), { constructor: VerificationError, code: TDX_ERROR.QUOTE_UNSUPPORTED });
  t.end();
});

function parsesOrTypedError(bytes: Uint8Array): boolean {
  try {
    parseTdxQuote(bytes);
    return true;
  } catch (error) {
    return error instanceof ConstellationError && error.code.startsWith('TDX_');
  }
}

t.test('property: random bytes give a quote or a typed TDX error', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), parsesOrTypedError), { numRuns: 500 });
  t.pass('no other exception');
  t.end();
});

t.test('property: mutated real quotes give a quote or a typed TDX error', (t) => {
  const base = tdxVector(V5_QUOTE);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.nat({ max: base.length }),
      (edits, cut) => {
        const mutated = Buffer.from(base);
        for (const [offset, value] of edits) mutated[offset] = value;
        return parsesOrTypedError(mutated) && parsesOrTypedError(mutated.subarray(0, cut));
      },
    ),
    { numRuns: 1000 },
  );
  t.pass('no other exception');
  t.end();
});

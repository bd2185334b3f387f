import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { InputError, VerificationError } from '../../../../lib/errors.js';
import { TDX_ERROR, verifyTdxQuote, verifyTdxQuoteSync } from '../../../../lib/attestation/tdx/index.js';
import { COS_QUOTE, COS_TIME, expectedQuote, tdxVector, V4_QUOTE, V4_TIME, V5_QUOTE, V5_TIME } from './tdx-vectors.js';

const QE_REPORT_OFFSET = 636 + 134;
const QE_AUTH_DATA_OFFSET = QE_REPORT_OFFSET + 384 + 64 + 2;

for (const [file, now] of [
  [V4_QUOTE, V4_TIME],
  [V5_QUOTE, V5_TIME],
  [COS_QUOTE, COS_TIME],
] as const) {
  t.test(`${file}: signatures, QE binding and PCK chain verify at ${now.toISOString()}`, async (t) => {
    const expected = expectedQuote(file);
    const state = await verifyTdxQuote({ quote: tdxVector(file), now });
    t.equal(state.collateralChecked, false);
    t.equal(state.tcbStatus, undefined);
    t.equal(state.pckSerial, expected.pck_chain[0]?.serial.replace(/^0x/, ''));
    t.equal(state.pck.fmspc.toString('hex'), expected.pck_extensions.FMSPC);
    t.equal(state.pck.pceId.toString('hex'), expected.pck_extensions.PCEID);
    t.same(state.pck.tcbComponents, expected.pck_extensions.TCB_comp_svns);
    t.equal(state.pck.pceSvn, expected.pck_extensions.PCESVN);
    t.equal(state.pck.cpuSvn.toString('hex'), expected.pck_extensions.CPUSVN);
    t.equal(state.pck.ppid.toString('hex'), expected.pck_extensions.PPID);
    t.equal(state.pck.sgxType, 1);
  });
}

t.test('COS-113 quote exposes RTMRs and REPORTDATA as in expected.json', (t) => {
  const expected = expectedQuote(COS_QUOTE).td_quote_body;
  const state = verifyTdxQuoteSync({ quote: tdxVector(COS_QUOTE), now: COS_TIME });
  t.same(
    state.quote.body.rtmrs.map((r) => r.toString('hex')),
    [expected.rtmr0, expected.rtmr1, expected.rtmr2, expected.rtmr3],
  );
  t.same(state.quote.body.reportData, tdxVector('ccel/nonce.dat'));
  t.end();
});

t.test('at 2053-07-01 the v4 PCK certificate has expired', (t) => {
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), now: new Date('2053-07-01T01:00:00Z') }), {
    constructor: VerificationError,
    code: TDX_ERROR.CERT_EXPIRED,
    message: /current time 2053-07-01T01:00:00\.000Z is after 2029-09-20T13:20:31/,
  });
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V5_QUOTE), now: new Date('2026-01-01T00:00:00Z') }), {
    constructor: VerificationError,
    code: TDX_ERROR.CERT_EXPIRED,
    message: /before 2026-01-27/,
  });
  t.end();
});

// go-tdx-guest verify_test.go negative table: one byte changed, verified without collateral at 2023-07-01.
const TAMPER_TABLE: readonly [number, number, string, RegExp][] = [
  [0x00, 3, TDX_ERROR.QUOTE_UNSUPPORTED, /format not supported/],
  [0x278, 0x10, TDX_ERROR.QUOTE_MALFORMED, /size of certificate data is 0xf8a.*expected size 0x1045/],
  [0x1343, 0x32, TDX_ERROR.PCK_CHAIN_INVALID, /PCK certificate chain/],
  [0x1329, 0x32, TDX_ERROR.PCK_CHAIN_INVALID, /certificate 2 \(CN=Intel SGX Root CA/],
  [0xf5f, 0x32, TDX_ERROR.PCK_CHAIN_INVALID, /certificate 1 \(CN=Intel SGX PCK Platform CA/],
  [0xb77, 0x32, TDX_ERROR.PCK_CHAIN_INVALID, /certificate 0 \(CN=Intel SGX PCK Certificate/],
  [0x1e, 0x32, TDX_ERROR.QUOTE_SIGNATURE_INVALID, /unable to verify message digest/],
  [0x3c, 0x32, TDX_ERROR.QUOTE_SIGNATURE_INVALID, /unable to verify message digest/],
];

t.test('upstream tamper table', (t) => {
  for (const [offset, value, code, message] of TAMPER_TABLE) {
    const quote = Buffer.from(tdxVector(V4_QUOTE));
    t.not(quote[offset], value, `byte 0x${offset.toString(16)} changes`);
    quote[offset] = value;
    t.throws(
      () => verifyTdxQuoteSync({ quote, now: V4_TIME }),
      { constructor: VerificationError, code, message },
      `0x${offset.toString(16)} := 0x${value.toString(16)}`,
    );
  }
  t.end();
});

t.test('every other signed region is covered by a signature', (t) => {
  const cases: readonly [string, number, string][] = [
    ['v4 RTMR0', 48 + 16 + 48 * 2 + 24 + 48 * 4, TDX_ERROR.QUOTE_SIGNATURE_INVALID],
    ['v4 REPORTDATA', 48 + 584 - 1, TDX_ERROR.QUOTE_SIGNATURE_INVALID],
    ['quote signature', 636 + 10, TDX_ERROR.QUOTE_SIGNATURE_INVALID],
    ['QE report ISVSVN', QE_REPORT_OFFSET + 258, TDX_ERROR.QE_REPORT_SIGNATURE_INVALID],
    ['QE report signature', QE_REPORT_OFFSET + 384 + 5, TDX_ERROR.QE_REPORT_SIGNATURE_INVALID],
    ['QE auth data', QE_AUTH_DATA_OFFSET, TDX_ERROR.QE_REPORT_DATA_MISMATCH],
  ];
  for (const [name, offset, code] of cases) {
    const quote = Buffer.from(tdxVector(V4_QUOTE));
    quote[offset] = (quote[offset] ?? 0) ^ 0x01;
    t.throws(() => verifyTdxQuoteSync({ quote, now: V4_TIME }), { constructor: VerificationError, code }, name);
  }
  t.end();
});

t.test('v5: the body descriptor and the TDX 1.5 fields are signed', (t) => {
  const cases: readonly [string, number, string][] = [
    ['body type', 48, TDX_ERROR.QUOTE_UNSUPPORTED],
    ['TEE_TCB_SVN_2', 54 + 584 + 3, TDX_ERROR.QUOTE_SIGNATURE_INVALID],
    ['MRSERVICETD', 54 + 648 - 1, TDX_ERROR.QUOTE_SIGNATURE_INVALID],
  ];
  for (const [name, offset, code] of cases) {
    const quote = Buffer.from(tdxVector(V5_QUOTE));
    quote[offset] = (quote[offset] ?? 0) ^ 0x01;
    t.throws(() => verifyTdxQuoteSync({ quote, now: V5_TIME }), { constructor: VerificationError, code }, name);
  }
  t.end();
});

t.test('a substituted attestation key breaks the QE report binding', (t) => {
  const quote = Buffer.from(tdxVector(V4_QUOTE));
  quote.fill(0x01, 636 + 64, 636 + 128);
  t.throws(() => verifyTdxQuoteSync({ quote, now: V4_TIME }), {
    constructor: VerificationError,
    code: TDX_ERROR.QE_REPORT_DATA_MISMATCH,
  });
  t.end();
});

t.test('a chain to another root is rejected', (t) => {
  // Trust the quote's own PCK Platform CA instead of the Intel root: the chain's root then has no trusted issuer.
  const pem = tdxVector(V4_QUOTE)
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  const platformCa = pem?.[1];
  t.ok(platformCa);
  t.ok(new X509Certificate(platformCa ?? '').ca);
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), now: V4_TIME, trustedRoot: platformCa ?? '' }), {
    constructor: VerificationError,
    code: TDX_ERROR.PCK_CHAIN_INVALID,
  });
  t.end();
});

t.test('invalid arguments are InputErrors', async (t) => {
  await t.rejects(verifyTdxQuote({ quote: tdxVector(V4_QUOTE), now: new Date('nope') }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.throws(() => verifyTdxQuoteSync({ quote: 'x' as unknown as Uint8Array, now: V4_TIME }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), now: V4_TIME, trustedRoot: 'not a pem' }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
});

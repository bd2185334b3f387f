import t from 'tap';
import fc from 'fast-check';
import { ConstellationError, VerificationError } from '../../../../lib/errors.js';
import {
  parseSignedCollateralJson,
  readTdQeIdentity,
  readTdxTcbInfo,
  TDX_ERROR,
} from '../../../../lib/attestation/tdx/index.js';
import { tdxVector } from './tdx-vectors.js';

t.test('the signed bytes are exactly the served "tcbInfo" value', (t) => {
  const response = tdxVector('sample_tcbInfo_response');
  const signed = parseSignedCollateralJson(response, 'tcbInfo');
  const text = response.toString('utf8');
  t.equal(signed.signedBytes.toString('utf8'), text.slice('{"tcbInfo":'.length, text.indexOf(',"signature"')));
  t.equal(signed.signature.toString('hex').slice(0, 8), 'f6502d6f');
  t.end();
});

t.test('whitespace and key order around the signed value do not matter', (t) => {
  const response = tdxVector('sample_qeIdentity_response').toString('utf8');
  const signed = parseSignedCollateralJson(response, 'enclaveIdentity');
  const reordered = `\n{ "signature" : "${signed.signature.toString('hex')}" ,\n  "enclaveIdentity" :  ${signed.signedBytes.toString('utf8')}  }\n`;
  t.same(parseSignedCollateralJson(reordered, 'enclaveIdentity').signedBytes, signed.signedBytes);
  t.end();
});

t.test('malformed documents are COLLATERAL_INVALID (one thing varied)', (t) => {
  const good = tdxVector('sample_tcbInfo_response').toString('utf8');
  const cases: readonly [string, string][] = [
    ['not JSON', good.slice(0, good.lastIndexOf('}'))],
    ['array', `[${good}]`],
    ['no signature', good.replace(/,"signature":"[0-9a-f]+"/, '')],
    ['short signature', good.replace(/"signature":"([0-9a-f]+)"/, '"signature":"abcd"')],
    ['no tcbInfo', good.replace('"tcbInfo"', '"tcbInfoX"')],
    ['duplicate tcbInfo', good.replace(',"signature"', ',"tcbInfo":{},"signature"')],
    ['tcbInfo is a string', `{"tcbInfo":"x","signature":"${'0'.repeat(128)}"}`],
  ];
  for (const [name, text] of cases) {
    t.throws(
      () => parseSignedCollateralJson(text, 'tcbInfo'),
      { constructor: VerificationError, code: TDX_ERROR.COLLATERAL_INVALID },
      name,
    );
  }
  t.end();
});

t.test('typed reads reject missing or mistyped fields with their path', (t) => {
  const value = parseSignedCollateralJson(tdxVector('sample_tcbInfo_response'), 'tcbInfo').value as Record<
    string,
    unknown
  >;
  const cases: readonly [string, Record<string, unknown>, RegExp][] = [
    ['id', { ...value, id: 'SGX' }, /id "TDX"/],
    ['version', { ...value, version: 2 }, /version 3/],
    ['fmspc', { ...value, fmspc: '50806f' }, /\.fmspc/],
    ['issueDate', { ...value, issueDate: 'yesterday' }, /\.issueDate/],
    ['tcbLevels', { ...value, tcbLevels: {} }, /\.tcbLevels/],
    ['tdxModule', { ...value, tdxModule: undefined }, /\.tdxModule/],
  ];
  for (const [name, broken, message] of cases) {
    t.throws(
      () => readTdxTcbInfo(broken),
      { constructor: VerificationError, code: TDX_ERROR.COLLATERAL_INVALID, message },
      name,
    );
  }
  const qe = parseSignedCollateralJson(tdxVector('sample_qeIdentity_response'), 'enclaveIdentity').value as Record<
    string,
    unknown
  >;
  t.throws(
    () => readTdQeIdentity({ ...qe, tcbLevels: [{ tcb: {}, tcbDate: '2023-02-15T00:00:00Z', tcbStatus: 'UpToDate' }] }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.COLLATERAL_INVALID,
      message: /\.tcbLevels\[0\]\.tcb\.isvsvn/,
    },
  );
  t.throws(
    () =>
      readTdQeIdentity({
        ...qe,
        tcbLevels: [{ tcb: { isvsvn: 1 }, tcbDate: '2023-02-15T00:00:00Z', tcbStatus: 'Fine' }],
      }),
    {
      code: TDX_ERROR.COLLATERAL_INVALID,
    },
  );
  t.end();
});

function parsesOrTypedError(input: string | Uint8Array, field: 'tcbInfo' | 'enclaveIdentity'): boolean {
  try {
    const signed = parseSignedCollateralJson(input, field);
    if (field === 'tcbInfo') readTdxTcbInfo(signed.value);
    else readTdQeIdentity(signed.value);
    return true;
  } catch (error) {
    return error instanceof ConstellationError && error.code === TDX_ERROR.COLLATERAL_INVALID;
  }
}

t.test('property: arbitrary JSON and text give a result or COLLATERAL_INVALID', (t) => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.json(),
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify({ tcbInfo: v, signature: 'ab'.repeat(64) })),
      ),
      (text) => parsesOrTypedError(text, 'tcbInfo'),
    ),
    { numRuns: 500 },
  );
  t.pass('no other exception');
  t.end();
});

t.test('property: byte-mutated real responses give a result or COLLATERAL_INVALID', (t) => {
  for (const [file, field] of [
    ['sample_tcbinfo_response_v5', 'tcbInfo'],
    ['sample_qeIdentity_response', 'enclaveIdentity'],
  ] as const) {
    const base = tdxVector(file);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const mutated = Buffer.from(base);
          for (const [offset, value] of edits) mutated[offset] = value;
          return parsesOrTypedError(mutated, field);
        },
      ),
      { numRuns: 500 },
    );
  }
  t.pass('no other exception');
  t.end();
});

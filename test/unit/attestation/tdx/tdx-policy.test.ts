import t from 'tap';
import { InputError } from '../../../../lib/errors.js';
import {
  evaluateTdxPolicy,
  evaluateTdxTcb,
  parseSignedCollateralJson,
  readTdxTcbInfo,
  verifyTdxQuoteSync,
  type TdxPolicy,
  type TdxQuoteBody,
  type VerifiedTdxState,
} from '../../../../lib/attestation/tdx/index.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { COS_QUOTE, COS_TIME, expectedQuote, tdxVector, V5_QUOTE, V5_TIME } from './tdx-vectors.js';

const cos = verifyTdxQuoteSync({ quote: tdxVector(COS_QUOTE), now: COS_TIME });
const expected = expectedQuote(COS_QUOTE).td_quote_body;
const hex = (name: string): Buffer => Buffer.from(expected[name] ?? '', 'hex');

// The v5 quote with its TCB Info evaluated: a state as verifyTdxQuote returns it with collateral.
const v5 = verifyTdxQuoteSync({ quote: tdxVector(V5_QUOTE), now: V5_TIME });
const v5Tcb = evaluateTdxTcb(
  {
    pck: v5.pck,
    teeTcbSvn: v5.quote.body.teeTcbSvn,
    mrSignerSeam: v5.quote.body.mrSignerSeam,
    seamAttributes: v5.quote.body.seamAttributes,
  },
  readTdxTcbInfo(parseSignedCollateralJson(tdxVector('sample_tcbinfo_response_v5'), 'tcbInfo').value),
);
const withCollateral: VerifiedTdxState = {
  ...cos,
  collateralChecked: true,
  tcbStatus: v5Tcb.tcbStatus,
  tcb: v5Tcb,
  qeTcbStatus: 'UpToDate',
};

/** A policy every check of which the COS-113 state satisfies. */
const fullPolicy: TdxPolicy = {
  mrTd: [hex('mrtd')],
  rtmrs: {
    0: { expected: [hex('rtmr0')] },
    1: { expected: [hex('rtmr1')] },
    2: { expected: [hex('rtmr2')] },
    3: { expected: [hex('rtmr3')] },
  },
  tdAttributes: { expected: 0x10000000n },
  xfam: { expected: 0x600e7n },
  minimumTeeTcbSvn: Buffer.from('04010700000000000000000000000000', 'hex'),
  mrConfigId: Buffer.alloc(48),
  mrOwner: Buffer.alloc(48),
  mrOwnerConfig: Buffer.alloc(48),
  reportData: tdxVector('ccel/nonce.dat'),
};

function withBody(state: VerifiedTdxState, change: Partial<TdxQuoteBody>): VerifiedTdxState {
  return { ...state, quote: { ...state.quote, body: { ...state.quote.body, ...change } } };
}

function flipped(bytes: Buffer, index = 0, bit = 0x01): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ bit;
  return copy;
}

t.test('a fully specified policy accepts the COS-113 state with no violations or warnings', (t) => {
  const result = evaluateTdxPolicy(withCollateral, fullPolicy);
  t.same(result.violations, []);
  t.same(result.warnings, []);
  t.end();
});

t.test('the empty policy refuses a state without collateral and warns about every unset check', (t) => {
  const result = evaluateTdxPolicy(cos, {});
  t.same(result.violations, [
    'TDX TCB status expected to be checked against Intel collateral, got a quote verified without collateral (set policy.tdx.allowMissingCollateral=true to accept)',
  ]);
  for (const setting of [
    'mrTd',
    'rtmrs[0]',
    'rtmrs[3]',
    'xfam',
    'tdAttributes',
    'minimumTeeTcbSvn',
    'reportData',
    'mrOwner',
  ]) {
    t.ok(
      result.warnings.some((w) => w.includes(`policy.tdx.${setting}`)),
      setting,
    );
  }
  const allowed = evaluateTdxPolicy(cos, { allowMissingCollateral: true });
  t.same(allowed.violations, []);
  t.ok(allowed.warnings.some((w) => w.includes('allowMissingCollateral')));
  t.end();
});

t.test('one field varied per case → exactly one violation naming it', (t) => {
  const cases: readonly [string, VerifiedTdxState, TdxPolicy, RegExp][] = [
    [
      'debug TD',
      withBody(withCollateral, { tdAttributes: flipped(cos.quote.body.tdAttributes) }),
      fullPolicy,
      /^TDX TDATTRIBUTES\.DEBUG expected off, got on \(set policy\.tdx\.allowDebug=true to accept\)$/,
    ],
    [
      'MRTD',
      withBody(withCollateral, { mrTd: flipped(cos.quote.body.mrTd) }),
      fullPolicy,
      /^TDX MRTD expected dae67181…, got dbe67181…$/,
    ],
    [
      'RTMR2',
      withBody(withCollateral, {
        rtmrs: [
          cos.quote.body.rtmrs[0],
          cos.quote.body.rtmrs[1],
          flipped(cos.quote.body.rtmrs[2]),
          cos.quote.body.rtmrs[3],
        ],
      }),
      fullPolicy,
      /^TDX RTMR\[2\] expected 4969684d…, got 4869684d…$/,
    ],
    [
      'other TD attribute',
      withBody(withCollateral, { tdAttributes: flipped(cos.quote.body.tdAttributes, 3, 0x40) }),
      fullPolicy,
      /^TDX TDATTRIBUTES & 0xfffffffffffffffe expected 0x0000000010000000, got 0x0000000050000000$/,
    ],
    ['XFAM', withBody(withCollateral, { xfam: flipped(cos.quote.body.xfam, 1, 0x02) }), fullPolicy, /^TDX XFAM/],
    [
      'TEE_TCB_SVN',
      withBody(withCollateral, { teeTcbSvn: Buffer.from('04010600000000000000000000000000', 'hex') }),
      fullPolicy,
      /^TDX TEE_TCB_SVN expected at least 0401070.*component 2\)$/,
    ],
    [
      'MRCONFIGID',
      withBody(withCollateral, { mrConfigId: flipped(cos.quote.body.mrConfigId) }),
      fullPolicy,
      /^TDX MRCONFIGID/,
    ],
    ['MROWNER', withBody(withCollateral, { mrOwner: flipped(cos.quote.body.mrOwner) }), fullPolicy, /^TDX MROWNER /],
    [
      'MROWNERCONFIG',
      withBody(withCollateral, { mrOwnerConfig: flipped(cos.quote.body.mrOwnerConfig) }),
      fullPolicy,
      /^TDX MROWNERCONFIG/,
    ],
    [
      'REPORTDATA',
      withBody(withCollateral, { reportData: flipped(cos.quote.body.reportData) }),
      fullPolicy,
      /^TDX REPORTDATA expected 00000000…, got 01000000…$/,
    ],
    [
      'TCB status',
      { ...withCollateral, tcbStatus: 'OutOfDate' },
      fullPolicy,
      /^TDX TCB status expected UpToDate, got OutOfDate \(add it to policy\.tdx\.allowedTcbStatuses to accept\)$/,
    ],
    [
      'QE TCB status',
      { ...withCollateral, qeTcbStatus: 'SWHardeningNeeded' },
      fullPolicy,
      /^TDX QE TCB status expected UpToDate, got SWHardeningNeeded/,
    ],
    ['no collateral', cos, fullPolicy, /policy\.tdx\.allowMissingCollateral=true/],
  ];
  for (const [name, state, policy, message] of cases) {
    const result = evaluateTdxPolicy(state, policy);
    t.equal(result.violations.length, 1, `${name}: one violation`);
    t.match(result.violations[0], message, name);
  }
  t.end();
});

t.test('opt-ins accept what they name', (t) => {
  const debug = withBody(withCollateral, { tdAttributes: flipped(cos.quote.body.tdAttributes) });
  t.same(evaluateTdxPolicy(debug, { ...fullPolicy, allowDebug: true }).violations, []);
  const outOfDate: VerifiedTdxState = { ...withCollateral, tcbStatus: 'OutOfDate' };
  t.same(evaluateTdxPolicy(outOfDate, { ...fullPolicy, allowedTcbStatuses: ['UpToDate', 'OutOfDate'] }).violations, []);
  const rtmr = withBody(withCollateral, {
    rtmrs: [
      flipped(cos.quote.body.rtmrs[0]),
      cos.quote.body.rtmrs[1],
      cos.quote.body.rtmrs[2],
      cos.quote.body.rtmrs[3],
    ],
  });
  const warned = evaluateTdxPolicy(rtmr, {
    ...fullPolicy,
    rtmrs: { ...fullPolicy.rtmrs, 0: { expected: [hex('rtmr0')], mode: 'warn' } },
  });
  t.same(warned.violations, []);
  t.match(warned.warnings, [/^TDX RTMR\[0\] expected 3fa2f61f…/]);
  const upgrade = evaluateTdxPolicy(withBody(withCollateral, { mrTd: flipped(cos.quote.body.mrTd) }), {
    ...fullPolicy,
    mrTd: [hex('mrtd'), flipped(cos.quote.body.mrTd)],
  });
  t.same(upgrade.violations, []);
  t.end();
});

t.test('invalid policies are InputErrors naming the setting', (t) => {
  const cases: readonly [string, TdxPolicy][] = [
    ['mrTd', { mrTd: [Buffer.alloc(32)] }],
    ['rtmrs', { rtmrs: { 1: { expected: [] } } }],
    ['xfam', { xfam: { expected: -1n } }],
    ['minimumTeeTcbSvn', { minimumTeeTcbSvn: Buffer.alloc(15) }],
    ['reportData', { reportData: Buffer.alloc(32) }],
    ['allowedTcbStatuses', { allowedTcbStatuses: ['Fine' as 'UpToDate'] }],
  ];
  for (const [name, policy] of cases) {
    t.throws(
      () => evaluateTdxPolicy(cos, policy),
      { constructor: InputError, code: 'INVALID_ARGUMENT', message: new RegExp(`policy\\.tdx\\.${name}`) },
      name,
    );
  }
  t.end();
});

function tdxSection(json: unknown): TdxPolicy {
  const policy = parsePolicy({ tdx: json }).tdx;
  if (policy === undefined) throw new Error('expected a tdx policy');
  return policy;
}

t.test('the tdx section of a policy file is read into a TdxPolicy', (t) => {
  const policy = tdxSection({
    mrTd: [expected.mrtd],
    rtmrs: { 0: { expected: [expected.rtmr0] }, 3: { expected: [expected.rtmr3], mode: 'warn' } },
    allowDebug: false,
    tdAttributes: { expected: '0x10000000', mask: '0xffffffffffffffff' },
    xfam: { expected: '393447' },
    minimumTeeTcbSvn: '04010700000000000000000000000000',
    allowedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'],
    allowMissingCollateral: true,
    reportData: '00'.repeat(64),
  });
  t.same(policy.mrTd, [hex('mrtd')]);
  t.same(policy.rtmrs?.[0], { expected: [hex('rtmr0')] });
  t.equal(policy.rtmrs?.[3]?.mode, 'warn');
  t.equal(policy.tdAttributes?.expected, 0x10000000n);
  t.equal(policy.xfam?.expected, 0x600e7n);
  t.same(evaluateTdxPolicy(cos, policy).violations, []);
  const bad: readonly [string, unknown][] = [
    ['policy.tdx.unknownKey', { unknownKey: 1 }],
    ['policy.tdx.mrTd[0]', { mrTd: ['00'] }],
    ['policy.tdx.rtmrs.4', { rtmrs: { 4: { expected: [] } } }],
    ['policy.tdx.rtmrs.1.mode', { rtmrs: { 1: { expected: expected.rtmr1, mode: 'audit' } } }],
    ['policy.tdx.xfam.expected', { xfam: { expected: '0x1ffffffffffffffff' } }],
    ['policy.tdx.allowDebug', { allowDebug: 'yes' }],
    ['policy.tdx.allowedTcbStatuses[0]', { allowedTcbStatuses: ['Fine'] }],
    ['policy.tdx', []],
  ];
  for (const [path, json] of bad) {
    t.throws(
      () => parsePolicy({ tdx: json }),
      { code: 'POLICY_INVALID', message: new RegExp(path.replace(/^policy/, '').replace(/[.[\]]/g, '\\$&')) },
      path,
    );
  }
  t.end();
});

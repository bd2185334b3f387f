import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import {
  evaluateQeIdentity,
  evaluateTdxTcb,
  parseSignedCollateralJson,
  readTdQeIdentity,
  readTdxTcbInfo,
  TDX_ERROR,
  verifyTdxQuoteSync,
  type TdQeIdentity,
  type TdxTcbInfo,
  type TdxTcbInput,
  type VerifiedTdxState,
} from '../../../../lib/attestation/tdx/index.js';
import { COS_QUOTE, COS_TIME, tdxVector, V4_QUOTE, V4_TIME, V5_QUOTE, V5_TIME } from './tdx-vectors.js';

const tcbInfoV4 = readTdxTcbInfo(parseSignedCollateralJson(tdxVector('sample_tcbInfo_response'), 'tcbInfo').value);
const tcbInfoV5 = readTdxTcbInfo(parseSignedCollateralJson(tdxVector('sample_tcbinfo_response_v5'), 'tcbInfo').value);
const qeIdentity = readTdQeIdentity(
  parseSignedCollateralJson(tdxVector('sample_qeIdentity_response'), 'enclaveIdentity').value,
);

function tcbInput(state: VerifiedTdxState, teeTcbSvn?: Buffer): TdxTcbInput {
  return {
    pck: state.pck,
    teeTcbSvn: teeTcbSvn ?? state.quote.body.teeTcbSvn,
    mrSignerSeam: state.quote.body.mrSignerSeam,
    seamAttributes: state.quote.body.seamAttributes,
  };
}

const v4 = verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), now: V4_TIME });
const v5 = verifyTdxQuoteSync({ quote: tdxVector(V5_QUOTE), now: V5_TIME });
const cos = verifyTdxQuoteSync({ quote: tdxVector(COS_QUOTE), now: COS_TIME });

/** Upstream's positive TCB tests overwrite level SVNs with 0; `levels` says which. */
function withZeroedLevels(info: TdxTcbInfo, levels: readonly number[]): TdxTcbInfo {
  return {
    ...info,
    tcbLevels: info.tcbLevels.map((level, index) =>
      levels.includes(index)
        ? {
            ...level,
            sgxComponents: level.sgxComponents.map(() => 0),
            pceSvn: 0,
            tdxComponents: level.tdxComponents.map(() => 0),
          }
        : level,
    ),
  };
}

t.test('v4: no TCB level matches the sample TCB Info', (t) => {
  t.throws(() => evaluateTdxTcb(tcbInput(v4), tcbInfoV4), {
    constructor: VerificationError,
    code: TDX_ERROR.TCB_LEVEL_NOT_FOUND,
    message: /no matching TCB level found/,
  });
  t.end();
});

t.test('v4: with level 0 SVNs zeroed (as upstream) the status is UpToDate', (t) => {
  const result = evaluateTdxTcb(tcbInput(v4), withZeroedLevels(tcbInfoV4, [0]));
  t.equal(result.tcbStatus, 'UpToDate');
  t.equal(result.tcbLevel.tcbDate.toISOString(), '2023-02-15T00:00:00.000Z');
  t.equal(result.tdxModule, undefined, 'TEE_TCB_SVN[1] = 0: no module identity');
  t.end();
});

t.test('v4: with only level 1 zeroed the status is OutOfDate with its advisories', (t) => {
  const result = evaluateTdxTcb(tcbInput(v4), withZeroedLevels(tcbInfoV4, [1]));
  t.equal(result.tcbStatus, 'OutOfDate');
  t.ok(result.advisoryIds.includes('INTEL-SA-00106'));
  t.end();
});

t.test('v4: TEE_TCB_SVN below level 0 TDX components alone fails matching', (t) => {
  const info = withZeroedLevels(tcbInfoV4, []);
  const sgxOnlyZeroed: TdxTcbInfo = {
    ...info,
    tcbLevels: info.tcbLevels.map((l) => ({ ...l, sgxComponents: l.sgxComponents.map(() => 0), pceSvn: 0 })),
  };
  t.throws(() => evaluateTdxTcb(tcbInput(v4), sgxOnlyZeroed), { code: TDX_ERROR.TCB_LEVEL_NOT_FOUND });
  const raised = Buffer.from(v4.quote.body.teeTcbSvn);
  raised[2] = 5;
  t.equal(evaluateTdxTcb(tcbInput(v4, raised), sgxOnlyZeroed).tcbStatus, 'UpToDate');
  t.end();
});

t.test('v5: level 0 UpToDate (2024-11-13) and module identity TDX_01 UpToDate', (t) => {
  const result = evaluateTdxTcb(tcbInput(v5), tcbInfoV5);
  t.equal(result.tcbStatus, 'UpToDate');
  t.equal(result.platformTcbStatus, 'UpToDate');
  t.equal(result.tcbLevel, tcbInfoV5.tcbLevels[0]);
  t.equal(result.tcbLevel.tcbDate.toISOString(), '2024-11-13T00:00:00.000Z');
  t.equal(result.tdxModule?.id, 'TDX_01');
  t.equal(result.tdxModule?.tcbStatus, 'UpToDate');
  t.equal(result.tdxModule?.tcbLevel.isvSvn, 6);
  t.end();
});

t.test('v5: module identity levels and convergence (one TEE_TCB_SVN byte varied)', (t) => {
  const svn = (module: number, version: number): Buffer => {
    const bytes = Buffer.from(v5.quote.body.teeTcbSvn);
    bytes[0] = module;
    bytes[1] = version;
    return bytes;
  };
  const outOfDate = evaluateTdxTcb(tcbInput(v5, svn(5, 1)), tcbInfoV5);
  t.equal(outOfDate.tdxModule?.tcbStatus, 'OutOfDate');
  t.equal(outOfDate.platformTcbStatus, 'UpToDate');
  t.equal(outOfDate.tcbStatus, 'OutOfDate', 'module OutOfDate makes the whole TCB OutOfDate');
  t.ok(outOfDate.advisoryIds.includes('INTEL-SA-01036'));
  t.throws(() => evaluateTdxTcb(tcbInput(v5, svn(1, 1)), tcbInfoV5), {
    constructor: VerificationError,
    code: TDX_ERROR.TCB_LEVEL_NOT_FOUND,
    message: /TDX_01/,
  });
  t.throws(() => evaluateTdxTcb(tcbInput(v5, svn(11, 2)), tcbInfoV5), {
    constructor: VerificationError,
    code: TDX_ERROR.COLLATERAL_MISMATCH,
    message: /TDX_02/,
  });
  t.end();
});

t.test('TCB Info for another platform or module is a mismatch (one field varied)', (t) => {
  const base = withZeroedLevels(tcbInfoV4, [0]);
  const cases: readonly [string, TdxTcbInfo, TdxTcbInput, RegExp][] = [
    ['wrong FMSPC (COS-113 PCK)', base, tcbInput(cos), /FMSPC expected 00806f050000.*got 50806f000000/],
    ['wrong PCEID', { ...base, pceId: Buffer.from('0001', 'hex') }, tcbInput(v4), /PCEID/],
    [
      'MRSIGNERSEAM',
      { ...base, tdxModule: { ...base.tdxModule, mrSigner: Buffer.alloc(48, 1) } },
      tcbInput(v4),
      /MRSIGNERSEAM/,
    ],
    [
      'SEAMATTRIBUTES',
      base,
      { ...tcbInput(v4), seamAttributes: Buffer.from('0100000000000000', 'hex') },
      /SEAMATTRIBUTES/,
    ],
  ];
  for (const [name, info, input, message] of cases) {
    t.throws(
      () => evaluateTdxTcb(input, info),
      { constructor: VerificationError, code: TDX_ERROR.COLLATERAL_MISMATCH, message },
      name,
    );
  }
  t.end();
});

t.test('QE identity: the v4 QE (ISVSVN 4) is UpToDate, as are the v5 and COS QEs', (t) => {
  t.equal(evaluateQeIdentity(v4.quote.qeReport, qeIdentity).tcbStatus, 'UpToDate');
  t.equal(evaluateQeIdentity(v5.quote.qeReport, qeIdentity).tcbStatus, 'UpToDate');
  t.equal(evaluateQeIdentity(cos.quote.qeReport, qeIdentity).tcbStatus, 'UpToDate');
  t.end();
});

t.test('QE identity mismatches (one field varied)', (t) => {
  const report = v4.quote.qeReport;
  const cases: readonly [string, TdQeIdentity, string][] = [
    ['MRSIGNER', { ...qeIdentity, mrSigner: Buffer.alloc(32) }, TDX_ERROR.QE_IDENTITY_MISMATCH],
    ['ISVPRODID', { ...qeIdentity, isvProdId: 1 }, TDX_ERROR.QE_IDENTITY_MISMATCH],
    ['MISCSELECT', { ...qeIdentity, miscSelect: 1 }, TDX_ERROR.QE_IDENTITY_MISMATCH],
    ['ATTRIBUTES', { ...qeIdentity, attributesMask: Buffer.alloc(16, 0xff) }, TDX_ERROR.QE_IDENTITY_MISMATCH],
    [
      'ISVSVN below every level',
      { ...qeIdentity, tcbLevels: qeIdentity.tcbLevels.map((l) => ({ ...l, isvSvn: 5 })) },
      TDX_ERROR.TCB_LEVEL_NOT_FOUND,
    ],
  ];
  for (const [name, identity, code] of cases) {
    t.throws(() => evaluateQeIdentity(report, identity), { constructor: VerificationError, code }, name);
  }
  t.end();
});

import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import {
  evaluateTdxPolicy,
  TDX_ERROR,
  verifyTdxCollateral,
  verifyTdxQuote,
} from '../../../../lib/attestation/tdx/index.js';
import { SYNTHETIC_TIME, syntheticTdx } from './synthetic-intel-pki.js';

t.test('synthetic Intel-shaped PKI: full verification with collateral gives UpToDate', async (t) => {
  const pki = await syntheticTdx();
  const state = await verifyTdxQuote({
    quote: pki.quote,
    collateral: pki.collateral,
    trustedRoot: pki.trustedRoot,
    now: SYNTHETIC_TIME,
  });
  t.equal(state.collateralChecked, true);
  t.equal(state.tcbStatus, 'UpToDate');
  t.equal(state.qeTcbStatus, 'UpToDate');
  t.equal(state.tcb?.tcbLevel.tcbDate.toISOString(), '2029-01-01T00:00:00.000Z');
  t.equal(state.pckSerial, '0c03');
  const policy = evaluateTdxPolicy(state, {});
  t.same(policy.violations, [], 'the default policy accepts an UpToDate TD without DEBUG');
  // The same quote against the real Intel root fails: synthetic chains are not trusted by default.
  await t.rejects(verifyTdxQuote({ quote: pki.quote, now: SYNTHETIC_TIME }), {
    constructor: VerificationError,
    code: TDX_ERROR.PCK_CHAIN_INVALID,
  });
});

t.test('a revoked PCK certificate is rejected', async (t) => {
  const pki = await syntheticTdx({ revokePck: true });
  await t.rejects(
    verifyTdxQuote({ quote: pki.quote, collateral: pki.collateral, trustedRoot: pki.trustedRoot, now: SYNTHETIC_TIME }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.CERT_REVOKED,
      message: /PCK certificate \(serial 0c03\) is revoked by the PCK CRL/,
    },
  );
  await t.resolves(
    verifyTdxQuote({ quote: pki.quote, trustedRoot: pki.trustedRoot, now: SYNTHETIC_TIME }),
    'without collateral revocation is not checked',
  );
});

t.test('a revoked PCK CA is rejected (it also issues the PCK CRL)', async (t) => {
  const pki = await syntheticTdx({ revokePckCa: true });
  t.throws(
    () => verifyTdxCollateral({ collateral: pki.collateral, trustedRoot: pki.trustedRoot, now: SYNTHETIC_TIME }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.CERT_REVOKED,
    },
  );
  const { pckCrlIssuerChain: _unused, ...withoutIssuerChain } = pki.collateral;
  await t.rejects(
    verifyTdxQuote({
      quote: pki.quote,
      collateral: withoutIssuerChain,
      trustedRoot: pki.trustedRoot,
      now: SYNTHETIC_TIME,
    }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.CERT_REVOKED,
      message: /PCK CA certificate/,
    },
  );
});

t.test('collateral from another PKI is rejected', async (t) => {
  const [a, b] = await Promise.all([syntheticTdx(), syntheticTdx()]);
  await t.rejects(
    verifyTdxQuote({
      quote: a.quote,
      collateral: { ...a.collateral, pckCrl: b.collateral.pckCrl },
      trustedRoot: a.trustedRoot,
      now: SYNTHETIC_TIME,
    }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.CRL_INVALID,
    },
  );
  await t.rejects(
    verifyTdxQuote({
      quote: a.quote,
      collateral: { ...a.collateral, tcbInfo: b.collateral.tcbInfo },
      trustedRoot: a.trustedRoot,
      now: SYNTHETIC_TIME,
    }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.COLLATERAL_INVALID,
    },
  );
  const cached = verifyTdxCollateral({ collateral: b.collateral, trustedRoot: b.trustedRoot, now: SYNTHETIC_TIME });
  await t.rejects(
    verifyTdxQuote({ quote: a.quote, collateral: cached, trustedRoot: a.trustedRoot, now: SYNTHETIC_TIME }),
    {
      constructor: VerificationError,
      code: TDX_ERROR.COLLATERAL_INVALID,
      message: /different trusted root/,
    },
  );
});

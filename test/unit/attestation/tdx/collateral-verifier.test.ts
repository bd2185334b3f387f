import t from 'tap';
import { InputError, VerificationError } from '../../../../lib/errors.js';
import {
  checkCollateralSignature,
  parseSignedCollateralJson,
  readTdxTcbInfo,
  TDX_ERROR,
  verifyTdxCollateral,
  verifyTdxQuoteSync,
  type TdxCollateral,
} from '../../../../lib/attestation/tdx/index.js';
import { tdxVector, V4_QUOTE, V4_TIME, v4Collateral } from './tdx-vectors.js';
import { X509Certificate } from 'node:crypto';
import { parseCertificateChain, verifyCertificateChain } from '../../../../lib/attestation/tdx/certificate-chain.js';
import { resolveTrustedRoot } from '../../../../lib/attestation/tdx/trusted-root.js';

t.test('v4 collateral verifies at 2023-07-01 (signatures, issuer chains, CRLs, freshness)', (t) => {
  const verified = verifyTdxCollateral({ collateral: v4Collateral(), now: V4_TIME });
  t.equal(verified.tcbInfo.fmspc.toString('hex'), '50806f000000');
  t.equal(verified.tcbInfo.tcbEvaluationDataNumber, 15);
  t.equal(verified.tcbInfo.tcbLevels.length, 2);
  t.equal(verified.qeIdentity.id, 'TD_QE');
  t.equal(verified.pckCrl.revokedSerials.size, 44);
  t.equal(verified.rootCrl.revokedSerials.size, 0);
  t.equal(verified.pckCrlVerified, true);
  t.end();
});

t.test('v4 quote with its collateral fails TCB level matching exactly as upstream', (t) => {
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), collateral: v4Collateral(), now: V4_TIME }), {
    constructor: VerificationError,
    code: TDX_ERROR.TCB_LEVEL_NOT_FOUND,
    message: /TDX TCB info reported by Intel PCS failed TCB status check: no matching TCB level found/,
  });
  // Same outcome with pre-verified (cached) collateral and with the PCK CRL checked against the quote's CA.
  const cached = verifyTdxCollateral({ collateral: v4Collateral(), now: V4_TIME });
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), collateral: cached, now: V4_TIME }), {
    code: TDX_ERROR.TCB_LEVEL_NOT_FOUND,
  });
  const withoutIssuerChain: TdxCollateral = { ...v4Collateral() };
  delete (withoutIssuerChain as { pckCrlIssuerChain?: string }).pckCrlIssuerChain;
  t.throws(() => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), collateral: withoutIssuerChain, now: V4_TIME }), {
    code: TDX_ERROR.TCB_LEVEL_NOT_FOUND,
  });
  t.end();
});

t.test('cached collateral is re-checked for freshness at each quote', (t) => {
  const cached = verifyTdxCollateral({ collateral: v4Collateral(), now: V4_TIME });
  t.throws(
    () => verifyTdxQuoteSync({ quote: tdxVector(V4_QUOTE), collateral: cached, now: new Date('2023-07-09T00:00:00Z') }),
    { constructor: VerificationError, code: TDX_ERROR.COLLATERAL_EXPIRED, message: /QE Identity/ },
  );
  t.end();
});

t.test('a look-alike of verified collateral is not trusted', (t) => {
  const cached = verifyTdxCollateral({ collateral: v4Collateral(), now: V4_TIME });
  t.throws(
    () =>
      verifyTdxQuoteSync({
        quote: tdxVector(V4_QUOTE),
        collateral: { ...cached },
        now: V4_TIME,
      }),
    { constructor: InputError, code: 'INVALID_ARGUMENT' },
  );
  t.end();
});

function changeOneCharacter(response: Buffer, from: string, to: string): Buffer {
  const text = response.toString('utf8');
  const index = text.indexOf(from);
  if (index < 0) throw new Error(`${from} not found`);
  return Buffer.from(text.slice(0, index) + to + text.slice(index + from.length), 'utf8');
}

t.test('bad collateral is rejected (one field varied per case)', (t) => {
  const tcbInfo = tdxVector('sample_tcbInfo_response');
  const qeIdentity = tdxVector('sample_qeIdentity_response');
  const pckCrlIssuer = tdxVector('pck_crl_issuer_chain.pem').toString('utf8');
  const cases: readonly [string, Partial<TdxCollateral>, string, Date?][] = [
    [
      'tcbInfo: one changed character',
      { tcbInfo: changeOneCharacter(tcbInfo, '"pcesvn":11', '"pcesvn":12') },
      TDX_ERROR.COLLATERAL_INVALID,
    ],
    [
      'tcbInfo: fmspc changed',
      { tcbInfo: changeOneCharacter(tcbInfo, '50806f000000', '50806f000001') },
      TDX_ERROR.COLLATERAL_INVALID,
    ],
    [
      'tcbInfo: signature changed',
      { tcbInfo: changeOneCharacter(tcbInfo, '"signature":"f6', '"signature":"f7') },
      TDX_ERROR.COLLATERAL_INVALID,
    ],
    ['tcbInfo: not JSON', { tcbInfo: tcbInfo.subarray(0, 100) }, TDX_ERROR.COLLATERAL_INVALID],
    [
      'qeIdentity: one changed character',
      { qeIdentity: changeOneCharacter(qeIdentity, '"isvprodid":2', '"isvprodid":3') },
      TDX_ERROR.COLLATERAL_INVALID,
    ],
    ['qeIdentity given as tcbInfo', { tcbInfo: qeIdentity }, TDX_ERROR.COLLATERAL_INVALID],
    [
      'tcbInfo issuer chain is the PCK CRL issuer chain',
      { tcbInfoIssuerChain: pckCrlIssuer },
      TDX_ERROR.COLLATERAL_INVALID,
    ],
    ['tcbInfo issuer chain empty', { tcbInfoIssuerChain: '' }, TDX_ERROR.COLLATERAL_INVALID],
    ['PCK CRL signed by the wrong key (the Root CA CRL)', { pckCrl: tdxVector('rootcrl.der') }, TDX_ERROR.CRL_INVALID],
    ['Root CA CRL replaced by the PCK CRL', { rootCrl: tdxVector('pckcrl') }, TDX_ERROR.CRL_INVALID],
    ['PCK CRL truncated', { pckCrl: tdxVector('pckcrl').subarray(0, 200) }, TDX_ERROR.CRL_INVALID],
    ['QE Identity expired, CRLs still current', {}, TDX_ERROR.COLLATERAL_EXPIRED, new Date('2023-07-08T07:26:00Z')],
    ['PCK CRL expired', {}, TDX_ERROR.CRL_EXPIRED, new Date('2023-07-19T00:00:00Z')],
    ['collateral not yet issued', {}, TDX_ERROR.COLLATERAL_EXPIRED, new Date('2023-06-10T00:00:00Z')],
  ];
  for (const [name, override, code, now] of cases) {
    t.throws(
      () => verifyTdxCollateral({ collateral: v4Collateral(override), now: now ?? V4_TIME }),
      { constructor: VerificationError, code },
      name,
    );
  }
  t.end();
});

t.test('a CRL signature over different bytes is rejected', (t) => {
  const crl = Buffer.from(tdxVector('pckcrl'));
  crl[crl.length - 10] = (crl[crl.length - 10] ?? 0) ^ 0x01;
  t.throws(() => verifyTdxCollateral({ collateral: v4Collateral({ pckCrl: crl }), now: V4_TIME }), {
    constructor: VerificationError,
    code: TDX_ERROR.CRL_INVALID,
    message: /signature does not verify/,
  });
  t.end();
});

t.test('PEM CRLs are accepted', (t) => {
  const pem = (der: Buffer): string => `-----BEGIN X509 CRL-----\n${der.toString('base64')}\n-----END X509 CRL-----\n`;
  const verified = verifyTdxCollateral({
    collateral: v4Collateral({ pckCrl: pem(tdxVector('pckcrl')), rootCrl: pem(tdxVector('rootcrl.der')) }),
    now: V4_TIME,
  });
  t.equal(verified.pckCrl.revokedSerials.size, 44);
  t.end();
});

t.test('missing collateral fields are InputErrors', (t) => {
  t.throws(
    () => verifyTdxCollateral({ collateral: v4Collateral({ tcbInfo: undefined as unknown as string }), now: V4_TIME }),
    {
      constructor: InputError,
      code: 'INVALID_ARGUMENT',
      message: /collateral\.tcbInfo/,
    },
  );
  t.end();
});

t.test('v5 TCB Info is signed by the TCB signing key, whose 2018 certificate expired in 2025', (t) => {
  const signed = parseSignedCollateralJson(tdxVector('sample_tcbinfo_response_v5'), 'tcbInfo');
  const signingCert = new X509Certificate(tdxVector('tcb_info_issuer_chain.pem'));
  checkCollateralSignature(signed, signingCert.publicKey, 'TCB Info v5');
  t.equal(readTdxTcbInfo(signed.value).tdxModuleIdentities.length, 2);
  const what = 'TCB Info issuer chain';
  const chain = parseCertificateChain(tdxVector('tcb_info_issuer_chain.pem').toString('utf8'), {
    what,
    code: TDX_ERROR.COLLATERAL_INVALID,
  });
  const root = resolveTrustedRoot();
  const verify = (now: Date): unknown =>
    verifyCertificateChain(chain, root, { what, code: TDX_ERROR.COLLATERAL_INVALID, now });
  t.equal((verify(V4_TIME) as unknown[]).length, 2);
  t.throws(() => verify(new Date('2026-02-03T01:00:00Z')), {
    constructor: VerificationError,
    code: TDX_ERROR.CERT_EXPIRED,
    message: /after 2025-05-21/,
  });
  t.end();
});

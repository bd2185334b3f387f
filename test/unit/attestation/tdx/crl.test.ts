import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import { TDX_ERROR, INTEL_SGX_ROOT_CA_PEM } from '../../../../lib/attestation/tdx/index.js';
import { checkNotRevoked, parseCrl, verifyCrl } from '../../../../lib/attestation/tdx/crl.js';
import { parseCertificateChain } from '../../../../lib/attestation/tdx/certificate-chain.js';
import { resolveTrustedRoot } from '../../../../lib/attestation/tdx/trusted-root.js';
import { tdxVector, V4_TIME } from './tdx-vectors.js';

const pckCrl = parseCrl(tdxVector('pckcrl'), 'PCK CRL');
const [platformCa] = parseCertificateChain(tdxVector('pck_crl_issuer_chain.pem').toString('utf8'), {
  what: 'PCK CRL issuer chain',
  code: TDX_ERROR.CRL_INVALID,
});

t.test('the PCK CRL has 44 entries, 2023-06-08..2023-07-08, and verifies under the PCK Platform CA', (t) => {
  t.equal(pckCrl.revokedSerials.size, 44);
  t.equal(pckCrl.thisUpdate.toISOString(), '2023-06-08T07:27:52.000Z');
  t.equal(pckCrl.nextUpdate.toISOString(), '2023-07-08T07:27:52.000Z');
  t.ok(platformCa);
  if (platformCa) verifyCrl(pckCrl, platformCa, V4_TIME);
  t.end();
});

t.test('a certificate whose serial is listed is revoked', (t) => {
  const [listed] = pckCrl.revokedSerials;
  t.ok(listed);
  if (!platformCa || listed === undefined) return t.end();
  const revoked = { ...platformCa, serialHex: listed };
  t.throws(
    () => {
      checkNotRevoked(pckCrl, revoked, 'PCK certificate');
    },
    {
      constructor: VerificationError,
      code: TDX_ERROR.CERT_REVOKED,
      message: new RegExp(listed),
    },
  );
  t.doesNotThrow(() => {
    checkNotRevoked(pckCrl, platformCa, 'PCK CA certificate');
  });
  t.end();
});

t.test('a CRL checked against the wrong issuer is invalid', (t) => {
  t.throws(
    () => {
      verifyCrl(pckCrl, resolveTrustedRoot(), V4_TIME);
    },
    {
      constructor: VerificationError,
      code: TDX_ERROR.CRL_INVALID,
    },
  );
  t.end();
});

t.test('the shipped Intel SGX Root CA is the published one', (t) => {
  t.equal(INTEL_SGX_ROOT_CA_PEM.trim(), tdxVector('intel_sgx_root_ca.pem').toString('utf8').trim());
  t.equal(
    resolveTrustedRoot().certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
    '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3',
  );
  t.end();
});

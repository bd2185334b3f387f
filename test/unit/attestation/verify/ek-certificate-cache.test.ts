// verifyEkCertificate caches verified chains by the exact certificate bytes: a cached chain is still bound to
// the trust it was verified against and to every certificate's validity at the time of each call.
import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import { verifyEkCertificate, type TpmTrust } from '../../../../lib/attestation/verify/ak-trust.js';
import { throwsCode } from './expect-error.js';
import { createSyntheticTpm } from './synthetic-tpm.js';

const NOW = new Date('2026-11-01T00:00:00Z');
const tpm = await createSyntheticTpm({ caName: 'EK Cache Test Root' });
const other = await createSyntheticTpm({ caName: 'EK Cache Other Root' });
const trust: TpmTrust = { ekRoots: [tpm.rootPem], ak: { mode: 'credential-activation' } };

t.test('a verified EK certificate verifies again (from the cache) with the same result', (t) => {
  const first = verifyEkCertificate(tpm.ekCertificate, trust, NOW);
  const again = verifyEkCertificate(Buffer.from(tpm.ekCertificate), trust, NOW);
  t.equal(again.fingerprint, first.fingerprint);
  t.ok(again.public.equals(tpm.ekPublicKey));
  t.end();
});

t.test('cached chain: validity is still checked at the time of each call', (t) => {
  verifyEkCertificate(tpm.ekCertificate, trust, NOW);
  throwsCode(
    t,
    () => verifyEkCertificate(tpm.ekCertificate, trust, new Date('2045-01-01T00:00:00Z')),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
    /expected valid at 2045/,
  );
  throwsCode(
    t,
    () => verifyEkCertificate(tpm.ekCertificate, trust, new Date('2019-01-01T00:00:00Z')),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
    /expected valid at 2019/,
  );
  t.equal(verifyEkCertificate(tpm.ekCertificate, trust, NOW).public.equals(tpm.ekPublicKey), true);
  t.end();
});

t.test('cached chain: other roots or other intermediates are a fresh verification', (t) => {
  verifyEkCertificate(tpm.ekCertificate, trust, NOW);
  throwsCode(
    t,
    () => verifyEkCertificate(tpm.ekCertificate, { ...trust, ekRoots: [other.rootPem] }, NOW),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
  throwsCode(
    t,
    () => verifyEkCertificate(tpm.ekCertificate, { ...trust, ekRoots: [] }, NOW),
    VerificationError,
    'TPM_EK_CHAIN_INVALID',
  );
  t.ok(verifyEkCertificate(tpm.ekCertificate, { ...trust, ekIntermediates: [other.rootPem] }, NOW));
  throwsCode(t, () => verifyEkCertificate(other.ekCertificate, trust, NOW), VerificationError, 'TPM_EK_CHAIN_INVALID');
  t.end();
});

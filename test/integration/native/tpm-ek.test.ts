import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { testCa } from '../../helpers/swtpm.js';
import { openTpmFor } from './tpm-fixture.js';
import { publicKeyOf } from './tpm-wire-format.js';

const spki = (key: { export(options: { type: 'spki'; format: 'der' }): Buffer }): string =>
  key.export({ type: 'spki', format: 'der' }).toString('hex');

t.test('the RSA EK from template L-1 equals the persisted EK and the key in its certificate', async (t) => {
  const { tpm } = await openTpmFor(t, { withEkCert: true });
  const persisted = await tpm.readPublic(0x81010001);
  const ek = await tpm.createEk('rsa');
  t.equal(ek.kind, 'rsa');
  t.equal(ek.public.toString('hex'), persisted.public.toString('hex'), 'same TPMT_PUBLIC');
  t.equal(ek.name.toString('hex'), persisted.name.toString('hex'), 'same name');
  const summary = publicKeyOf(ek.public);
  t.equal(summary.authPolicy.toString('hex'), '837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa');
  t.equal(
    summary.attributes,
    0x000300b2,
    'fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|restricted|decrypt',
  );

  const der = await tpm.readEkCertificate('rsa');
  t.ok(der, 'the RSA EK certificate is in NV 0x01c00002');
  const certificate = new X509Certificate(der!);
  t.equal(spki(certificate.publicKey), spki(summary.key), 'certificate key = EK key');
  t.equal(der!.length, certificate.raw.length, 'no NV padding returned');
  await tpm.flush(ek);
});

t.test('the EK certificate chains to the local manufacturer CA', async (t) => {
  const { tpm } = await openTpmFor(t, { withEkCert: true });
  const ca = await testCa();
  const intermediate = new X509Certificate(await ca.intermediatePem());
  const root = new X509Certificate(await ca.rootPem());
  const certificate = new X509Certificate((await tpm.readEkCertificate('rsa'))!);
  t.ok(certificate.verify(intermediate.publicKey), 'EK certificate signed by the intermediate');
  t.ok(intermediate.verify(root.publicKey), 'intermediate signed by the root');
  t.notOk(certificate.verify(root.publicKey), 'not signed by the root directly');
});

t.test('the ECC EK from template L-2 is P-256; swtpm has no L-2 certificate', async (t) => {
  const { tpm } = await openTpmFor(t, { withEkCert: true });
  const ek = await tpm.createEk('ecc');
  const summary = publicKeyOf(ek.public);
  t.equal(summary.type, 'ecc');
  t.equal(summary.key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  // swtpm 0.7 provisions a P-384 EK with its certificate at 0x01c00016, not the L-2 index 0x01c0000a.
  t.equal(await tpm.readEkCertificate('ecc'), undefined);
  await tpm.flush(ek);
});

t.test('readEkCertificate is undefined on a TPM without certificates', async (t) => {
  const { tpm } = await openTpmFor(t);
  t.equal(await tpm.readEkCertificate('rsa'), undefined);
});

import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { GCP_AK_INTERMEDIATES_PEM, GCP_AK_ROOTS_PEM } from '../../../../lib/attestation/cloud/gcp-roots.js';
import { gcpFile } from './gcp-vectors.js';

t.test('shipped Google vTPM CA certificates are exactly the vector files', (t) => {
  const pairs: [string, string | undefined][] = [
    ['ca-certs/tpm_ek_root_1.cer', GCP_AK_ROOTS_PEM[0]],
    ['ca-certs/gcp_ek_ak_ca_root.crt', GCP_AK_ROOTS_PEM[1]],
    ['ca-certs/tpm_ek_intermediate_2.crt', GCP_AK_INTERMEDIATES_PEM[0]],
    ['ca-certs/tpm_ek_intermediate_3.crt', GCP_AK_INTERMEDIATES_PEM[1]],
    ['ca-certs/gcp_ek_ak_ca_intermediate_v3.crt', GCP_AK_INTERMEDIATES_PEM[2]],
  ];
  t.equal(GCP_AK_ROOTS_PEM.length, 2);
  t.equal(GCP_AK_INTERMEDIATES_PEM.length, 3);
  for (const [file, pem] of pairs) {
    const fromFile = new X509Certificate(gcpFile(file));
    t.same(new X509Certificate(pem ?? '').raw, fromFile.raw, file);
  }
  t.end();
});

t.test('the roots are self-signed CAs and each intermediate is issued by one of them', (t) => {
  const roots = GCP_AK_ROOTS_PEM.map((pem) => new X509Certificate(pem));
  for (const root of roots) t.ok(root.ca && root.verify(root.publicKey), root.subject);
  for (const pem of GCP_AK_INTERMEDIATES_PEM) {
    const cert = new X509Certificate(pem);
    t.ok(
      roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey)),
      cert.subject,
    );
  }
  t.end();
});

t.test('the 8 recorded GCE EK/AK certificates chain to the shipped roots', async (t) => {
  const { verifyCertificateChain } = await import('../../../../lib/attestation/verify/certificate-chain.js');
  const roots = GCP_AK_ROOTS_PEM.map((pem) => new X509Certificate(pem));
  const intermediates = GCP_AK_INTERMEDIATES_PEM.map((pem) => new X509Certificate(pem));
  for (const kind of ['pca', 'uca']) {
    for (const name of ['ecc_enc', 'ecc_sign', 'rsa_enc', 'rsa_sign']) {
      const leaf = new X509Certificate(gcpFile(`ak_ek_certs/${kind}_tpm_${name}_cert.pem`));
      const path = verifyCertificateChain({
        leaf,
        intermediates,
        roots,
        now: new Date('2024-01-01T00:00:00Z'),
        code: 'X',
        what: name,
      });
      t.equal(path.length, 3, `${kind}_${name}: leaf → intermediate → root`);
    }
  }
});

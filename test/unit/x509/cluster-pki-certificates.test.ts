// The certificates lib/kubernetes/cluster-pki.ts returns, checked the way their users check them: node's
// X509Certificate, `openssl x509 -text` and `openssl verify -CAfile` (and its refusal under another CA); the
// PEM formats stay exactly what the module returned before it moved to lib/x509.
import t from 'tap';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import {
  CA_VALIDITY_DAYS,
  CLIENT_VALIDITY_DAYS,
  createClusterCa,
  issueClientCertificate,
} from '../../../lib/kubernetes/cluster-pki.js';
import { openssl } from './openssl.js';

const DAY = 86_400_000;
const CERTIFICATE_PEM =
  /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----$/;
const KEY_PEM =
  /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n$/;

t.test('cluster CA and admin certificate: node, openssl text and openssl verify', async (t) => {
  const ca = await createClusterCa();
  const admin = await issueClientCertificate(ca, { commonName: 'kubernetes-admin', groups: ['system:masters', 'ops'] });
  for (const pem of [ca.certificatePem, admin.certificatePem]) t.match(pem, CERTIFICATE_PEM, 'certificate PEM format');
  for (const pem of [ca.keyPem, admin.keyPem]) t.match(pem, KEY_PEM, 'PKCS#8 PEM format');

  const caCertificate = new X509Certificate(ca.certificatePem);
  t.equal(caCertificate.subject, 'CN=kubernetes');
  t.ok(caCertificate.ca);
  t.ok(caCertificate.verify(caCertificate.publicKey));
  t.equal(caCertificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const caDays = (Date.parse(caCertificate.validTo) - Date.parse(caCertificate.validFrom)) / DAY;
  t.equal(caDays, CA_VALIDITY_DAYS);
  t.ok(Date.parse(caCertificate.validFrom) <= Date.now() - 50_000, 'valid from a minute back (clock skew)');

  const client = new X509Certificate(admin.certificatePem);
  t.equal(client.subject, 'O=system:masters\nO=ops\nCN=kubernetes-admin', 'groups first, then CN');
  t.equal(client.issuer, 'CN=kubernetes');
  t.notOk(client.ca);
  t.ok(client.verify(caCertificate.publicKey));
  t.equal((Date.parse(client.validTo) - Date.parse(client.validFrom)) / DAY, CLIENT_VALIDITY_DAYS);
  t.same(
    createPublicKey(createPrivateKey(admin.keyPem)).export({ type: 'spki', format: 'der' }),
    client.publicKey.export({ type: 'spki', format: 'der' }),
  );

  const tool = await openssl(t);
  const caText = await tool.text(ca.certificatePem);
  t.match(caText, /Basic Constraints: critical\s+CA:TRUE\n/);
  t.match(caText, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign\n/);
  const ski = /Subject Key Identifier: \s*\n\s+(\S+)/.exec(caText)?.[1] ?? 'missing';
  const clientText = await tool.text(admin.certificatePem);
  t.match(clientText, /Subject: O = system:masters, O = ops, CN = kubernetes-admin\n/);
  t.match(clientText, /Basic Constraints: critical\s+CA:FALSE\n/);
  t.match(clientText, /Key Usage: critical\s+Digital Signature\n/);
  t.match(clientText, /Extended Key Usage: \s*\n\s+TLS Web Client Authentication\n/);
  t.match(clientText, new RegExp(`Authority Key Identifier: \\s*\\n\\s+(keyid:)?${ski}\\n`));

  const verified = await tool.verify(ca.certificatePem, admin.certificatePem);
  t.ok(verified.ok, `openssl verify -CAfile ca.pem client.pem: ${verified.output}`);
  const otherCa = await createClusterCa();
  const foreign = await issueClientCertificate(otherCa, { commonName: 'kubernetes-admin', groups: ['system:masters'] });
  const refused = await tool.verify(ca.certificatePem, foreign.certificatePem);
  t.notOk(refused.ok, 'a client certificate of another CA (same names) does not verify');
  t.notOk(new X509Certificate(foreign.certificatePem).verify(caCertificate.publicKey));
});

t.test('a CA name of choice and a client without groups', async (t) => {
  const ca = await createClusterCa('etcd-ca');
  const client = await issueClientCertificate(ca, { commonName: 'system:node:worker-0', groups: [] });
  t.equal(new X509Certificate(client.certificatePem).subject, 'CN=system:node:worker-0');
  t.equal(new X509Certificate(client.certificatePem).issuer, 'CN=etcd-ca');
});

t.test('client identities outside [A-Za-z0-9:._-]{1,64} are INVALID_ARGUMENT; a mismatched CA key too', async (t) => {
  const ca = await createClusterCa();
  for (const identity of [
    { commonName: '', groups: [] },
    { commonName: 'a b', groups: [] },
    { commonName: 'admin', groups: ['x'.repeat(65)] },
    { commonName: 'admin', groups: ['ö'] },
  ]) {
    await t.rejects(issueClientCertificate(ca, identity), { constructor: InputError, code: 'INVALID_ARGUMENT' });
  }
  const other = await createClusterCa();
  await t.rejects(
    issueClientCertificate(
      { certificatePem: ca.certificatePem, keyPem: other.keyPem },
      { commonName: 'a', groups: [] },
    ),
    {
      constructor: InputError,
      code: 'INVALID_ARGUMENT',
    },
  );
});

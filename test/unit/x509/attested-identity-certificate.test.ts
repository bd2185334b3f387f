// The certificate of lib/atls/attested-identity.ts: self-signed P-256, the SAN names and addresses it is
// dialed by, server auth only, and `spki` exactly the certificate's SubjectPublicKeyInfo (what evidence binds
// to). The TLS server itself is exercised by test/integration/atls.
import t from 'tap';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import { createAttestedIdentity } from '../../../lib/atls/attested-identity.js';
import { openssl } from './openssl.js';

t.test('default identity: SAN, extensions, validity, spki, PEM formats', async (t) => {
  const identity = await createAttestedIdentity();
  t.match(identity.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
  t.match(identity.keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  const certificate = new X509Certificate(identity.certPem);
  t.equal(certificate.subject, 'CN=constellation-attested');
  t.equal(certificate.issuer, 'CN=constellation-attested');
  t.notOk(certificate.ca);
  t.equal(certificate.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.ok(certificate.verify(certificate.publicKey), 'self-signed');
  t.same(certificate.publicKey.export({ type: 'spki', format: 'der' }), identity.spki);
  t.same(createPublicKey(createPrivateKey(identity.keyPem)).export({ type: 'spki', format: 'der' }), identity.spki);
  t.equal((Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000, 30);
  t.equal(certificate.checkHost('localhost'), 'localhost');
  t.equal(certificate.checkIP('::1'), '::1');
  const text = await (await openssl(t)).text(identity.certPem);
  t.match(text, /Basic Constraints: critical\s+CA:FALSE\n/);
  t.match(text, /Key Usage: critical\s+Digital Signature\n/);
  t.match(text, /Extended Key Usage: \s*\n\s+TLS Web Server Authentication\n/);
  t.notMatch(text, /Key Identifier/, 'nothing beyond what the TLS server needs');
});

t.test('hosts and validity of choice; two identities never share a key', async (t) => {
  const identity = await createAttestedIdentity({
    hosts: ['node-0.cluster', '127.42.0.10', 'fd00::10'],
    validityDays: 1,
  });
  const certificate = new X509Certificate(identity.certPem);
  t.equal(certificate.subjectAltName, 'DNS:node-0.cluster, IP Address:127.42.0.10, IP Address:FD00:0:0:0:0:0:0:10');
  t.equal((Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000, 1);
  const second = await createAttestedIdentity();
  t.notSame(second.spki, identity.spki);
  await t.rejects(createAttestedIdentity({ hosts: [] }), { constructor: InputError, code: 'INVALID_ARGUMENT' });
  await t.rejects(createAttestedIdentity({ hosts: ['bad host'] }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
});

// The certificate builder: self-signed and CA-issued v3 certificates that node's X509Certificate and the
// openssl command line read and verify; serials, validity encodings and the keys it refuses.
import t from 'tap';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import { DER_TAG, derChildren, derValue, readDerRoot } from '../../../lib/asn1/der-reader.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePem,
  extendedKeyUsage,
  generateP256KeyPair,
  issueCertificate,
  issuerFromCertificate,
  keyUsage,
  randomSerialNumber,
  selfSignedCertificate,
  spkiDer,
  subjectAltName,
  subjectKeyIdentifier,
  type CertificateTemplate,
  type KeyPair,
} from '../../../lib/x509/index.js';
import { openssl } from './openssl.js';

const invalid = { constructor: InputError, code: 'INVALID_ARGUMENT' };
const fail = (message: string): Error => new Error(message);
const DAY = 86_400_000;

const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };

async function makeCa(name = 'test CA', period = validity): Promise<{ keys: KeyPair; der: Buffer; pem: string }> {
  const keys = await generateP256KeyPair();
  const der = selfSignedCertificate(
    {
      subject: [{ type: 'CN', value: name }],
      publicKey: keys.publicKey,
      ...period,
      extensions: [
        basicConstraints(true),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(spkiDer(keys.publicKey)),
      ],
    },
    keys.privateKey,
  );
  return { keys, der, pem: certificatePem(der) };
}

async function issueLeaf(ca: { keys: KeyPair; pem: string }): Promise<{ keys: KeyPair; pem: string }> {
  const keys = await generateP256KeyPair();
  const issuer = issuerFromCertificate(ca.pem, ca.keys.privateKey);
  const der = issueCertificate(
    {
      subject: [
        { type: 'O', value: 'system:masters' },
        { type: 'CN', value: 'leaf' },
      ],
      publicKey: keys.publicKey,
      ...validity,
      extensions: [
        basicConstraints(false),
        keyUsage(['digitalSignature']),
        extendedKeyUsage(['clientAuth', 'serverAuth']),
        subjectAltName(['leaf.example', '192.0.2.7', '2001:db8::7']),
        authorityKeyIdentifier(issuer.keyIdentifier),
      ],
    },
    issuer,
  );
  return { keys, pem: certificatePem(der) };
}

t.test('self-signed CA: node reads and verifies it, openssl shows the extensions', async (t) => {
  const ca = await makeCa();
  const certificate = new X509Certificate(ca.pem);
  t.equal(certificate.subject, 'CN=test CA');
  t.equal(certificate.issuer, 'CN=test CA');
  t.ok(certificate.ca, 'basicConstraints cA');
  t.equal(new Date(certificate.validFrom).toISOString(), validity.notBefore.toISOString());
  t.equal(new Date(certificate.validTo).toISOString(), validity.notAfter.toISOString());
  t.ok(certificate.verify(ca.keys.publicKey), 'the signature verifies with its own key');
  t.same(certificate.publicKey.export({ type: 'spki', format: 'der' }), spkiDer(ca.keys.publicKey));
  t.ok(certificate.checkPrivateKey(ca.keys.privateKey));
  const text = await (await openssl(t)).text(ca.pem);
  t.match(text, /Version: 3 \(0x2\)/);
  t.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  t.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
  t.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign\n/);
  t.match(text, /X509v3 Subject Key Identifier: \s*\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
  t.match(text, /NIST CURVE: P-256/);
});

t.test('issued certificate: verifies under its CA with node and openssl, and not under another CA', async (t) => {
  const ca = await makeCa();
  const leaf = await issueLeaf(ca);
  const certificate = new X509Certificate(leaf.pem);
  t.equal(certificate.subject, 'O=system:masters\nCN=leaf');
  t.equal(certificate.issuer, 'CN=test CA');
  t.notOk(certificate.ca);
  t.equal(certificate.subjectAltName, 'DNS:leaf.example, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7');
  t.ok(certificate.verify(ca.keys.publicKey), 'signed by the CA key');
  t.notOk(certificate.verify(leaf.keys.publicKey), 'not by its own key');
  t.ok(certificate.checkIssued(new X509Certificate(ca.pem)));

  const tool = await openssl(t);
  const text = await tool.text(leaf.pem);
  t.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE\n/);
  t.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  t.match(text, /X509v3 Extended Key Usage: \s*\n\s+TLS Web Client Authentication, TLS Web Server Authentication\n/);
  const ski = /Subject Key Identifier: \s*\n\s+(\S+)/.exec(await tool.text(ca.pem))?.[1];
  t.ok(ski);
  t.match(text, new RegExp(`Authority Key Identifier: \\s*\\n\\s+(keyid:)?${ski ?? 'missing'}\\n`));

  const verified = await tool.verify(ca.pem, leaf.pem);
  t.ok(verified.ok, `openssl verify passes: ${verified.output}`);
  const other = await makeCa();
  const refused = await tool.verify(other.pem, leaf.pem);
  t.notOk(refused.ok, 'openssl verify fails under another CA');
  t.match(refused.output, /unable to get local issuer certificate/);
  const sameName = await makeCa('test CA');
  const forged = await tool.verify(sameName.pem, leaf.pem);
  t.notOk(forged.ok, 'and under another CA of the same name (key identifiers and signature differ)');
});

t.test('serial numbers: 16 bytes, positive, distinct', async (t) => {
  const serials = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const serial = randomSerialNumber();
    t.equal(serial.length, 16);
    t.equal((serial[0] ?? 0) >> 6, 1, 'top bits 01: positive, never zero, no padding byte');
    serials.add(serial.toString('hex'));
  }
  t.equal(serials.size, 200);
  const ca = await makeCa();
  const [tbs] = derChildren(readDerRoot(ca.der, fail), fail);
  const serial = tbs ? derChildren(tbs, fail)[1] : undefined;
  t.equal(serial?.tag, DER_TAG.integer);
  if (serial) t.equal(derValue(serial).length, 16, 'the certificate carries a 16-byte INTEGER');
  t.match(new X509Certificate(ca.pem).serialNumber, /^[4-7][0-9A-F]{31}$/);
});

t.test('validity beyond 2049 is GeneralizedTime and read back by node and openssl', async (t) => {
  const period = { notBefore: new Date('2049-06-01T12:00:00Z'), notAfter: new Date('2051-06-01T12:00:00Z') };
  const ca = await makeCa('long-lived', period);
  const [tbs] = derChildren(readDerRoot(ca.der, fail), fail);
  const times = tbs ? derChildren(derChildren(tbs, fail)[4]!, fail) : [];
  t.same(
    times.map((time) => time.tag),
    [DER_TAG.utcTime, DER_TAG.generalizedTime],
  );
  const certificate = new X509Certificate(ca.pem);
  t.equal(new Date(certificate.validFrom).toISOString(), '2049-06-01T12:00:00.000Z');
  t.equal(new Date(certificate.validTo).toISOString(), '2051-06-01T12:00:00.000Z');
  t.match(await (await openssl(t)).text(ca.pem), /Not After : Jun {2}1 12:00:00 2051 GMT/);
});

t.test('a certificate without extensions is still v3 and valid', async (t) => {
  const keys = await generateP256KeyPair();
  const der = selfSignedCertificate(
    { subject: [{ type: 'CN', value: 'bare' }], publicKey: keys.publicKey, ...validity, extensions: [] },
    keys.privateKey,
  );
  const certificate = new X509Certificate(der);
  t.ok(certificate.verify(keys.publicKey));
  t.match(await (await openssl(t)).text(certificatePem(der)), /Version: 3 \(0x2\)/);
});

t.test('refused: keys that are not P-256 or do not match, and an empty validity', async (t) => {
  const keys = await generateP256KeyPair();
  const other = await generateP256KeyPair();
  const template: CertificateTemplate = {
    subject: [{ type: 'CN', value: 'x' }],
    publicKey: keys.publicKey,
    ...validity,
    extensions: [],
  };
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const cases: [string, () => unknown][] = [
    ['self-signed with another key', () => selfSignedCertificate(template, other.privateKey)],
    ['self-signed with a public key', () => selfSignedCertificate(template, keys.publicKey)],
    [
      'self-signed with P-384',
      () => selfSignedCertificate({ ...template, publicKey: p384.publicKey }, p384.privateKey),
    ],
    ['self-signed with RSA', () => selfSignedCertificate({ ...template, publicKey: rsa.publicKey }, rsa.privateKey)],
    [
      'subject key given as private',
      () => selfSignedCertificate({ ...template, publicKey: keys.privateKey }, keys.privateKey),
    ],
    [
      'notAfter = notBefore',
      () => selfSignedCertificate({ ...template, notAfter: validity.notBefore }, keys.privateKey),
    ],
    [
      'notAfter before notBefore',
      () =>
        selfSignedCertificate({ ...template, notAfter: new Date(validity.notBefore.getTime() - DAY) }, keys.privateKey),
    ],
    ['invalid date', () => selfSignedCertificate({ ...template, notAfter: new Date(Number.NaN) }, keys.privateKey)],
    [
      'issued with a P-384 signing key',
      () =>
        issueCertificate(template, {
          name: Buffer.from('3000', 'hex'),
          keyIdentifier: Buffer.alloc(20),
          signingKey: p384.privateKey,
        }),
    ],
  ];
  for (const [name, run] of cases) t.throws(run, invalid, name);
  // Only the signing key must be P-256: a CA may certify another kind of key.
  const ca = await makeCa();
  const rsaLeaf = issueCertificate(
    { ...template, publicKey: rsa.publicKey },
    issuerFromCertificate(ca.pem, ca.keys.privateKey),
  );
  t.ok(new X509Certificate(rsaLeaf).verify(ca.keys.publicKey), 'an RSA key certified by the P-256 CA');
});

// Issuing under CA certificates made by other tools: an openssl CA with UTF8String names and no
// subjectKeyIdentifier, and a CA as our earlier @peculiar/x509 code made it (still on disk in clusters made
// before; @peculiar/x509 is used here only to make that CA). The issuer name is copied byte for byte and the
// authorityKeyIdentifier names the CA's own key identifier.
import 'reflect-metadata';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../../lib/errors.js';
import { derBytes, derChildren, readDerRoot } from '../../../lib/asn1/der-reader.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePem,
  generateP256KeyPair,
  issueCertificate,
  issuerFromCertificate,
  keyIdentifier,
  keyUsage,
  selfSignedCertificate,
  spkiDer,
} from '../../../lib/x509/index.js';
import { openssl } from './openssl.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const fail = (message: string): Error => new Error(message);
const invalid = { constructor: InputError, code: 'INVALID_ARGUMENT' };

/** The issuer or subject Name DER of a certificate. */
function nameDer(der: Buffer, which: 'issuer' | 'subject'): Buffer {
  const [tbs] = derChildren(readDerRoot(der, fail), fail);
  const fields = tbs ? derChildren(tbs, fail).slice(1) : [];
  const field = fields[which === 'issuer' ? 2 : 4];
  if (!field) throw new Error('no name');
  return derBytes(field);
}

async function issueUnder(caPem: string, caKeyPem: string): Promise<Buffer> {
  const issuer = issuerFromCertificate(caPem, createPrivateKey(caKeyPem));
  const { publicKey } = await generateP256KeyPair();
  return issueCertificate(
    {
      subject: [{ type: 'CN', value: 'leaf' }],
      publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      extensions: [
        basicConstraints(false),
        keyUsage(['digitalSignature']),
        authorityKeyIdentifier(issuer.keyIdentifier),
      ],
    },
    issuer,
  );
}

t.test('an openssl CA: UTF8String names copied exactly, no SKI → method-1 key identifier', async (t) => {
  const tool = await openssl(t);
  const { key = '', cert = '' } = await tool.files({ key: '', cert: '' });
  await tool.run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-utf8',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/O=Zürich Org/CN=openssl CA',
    '-addext',
    'subjectKeyIdentifier=none',
    '-addext',
    'authorityKeyIdentifier=none',
  ]);
  const caPem = await readFile(cert, 'utf8');
  const ca = new X509Certificate(caPem);
  t.equal(ca.subject, 'O=Zürich Org\nCN=openssl CA');
  const issuer = issuerFromCertificate(caPem, createPrivateKey(await readFile(key, 'utf8')));
  t.same(issuer.keyIdentifier, keyIdentifier(spkiDer(ca.publicKey)), 'method 1 of the CA key');
  const leaf = await issueUnder(caPem, await readFile(key, 'utf8'));
  t.same(nameDer(leaf, 'issuer'), nameDer(ca.raw, 'subject'), 'issuer Name = CA subject, byte for byte');
  t.ok(new X509Certificate(leaf).verify(ca.publicKey));
  const verified = await tool.verify(caPem, certificatePem(leaf));
  t.ok(verified.ok, verified.output);
});

t.test('a CA as @peculiar/x509 made it: the AKI is the SKI it carries', async (t) => {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  // A key identifier that is not method 1, to show it is read from the certificate, not recomputed.
  const carried = '00112233445566778899aabbccddeeff00112233';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=kubernetes',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectKeyIdentifierExtension(carried),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  });
  const caPem = ca.toString('pem');
  const issuer = issuerFromCertificate(caPem, createPrivateKey(keyPem));
  t.equal(issuer.keyIdentifier.toString('hex'), carried);
  const leaf = await issueUnder(caPem, keyPem as string);
  t.equal(new x509.X509Certificate(leaf).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, carried);
  const verified = await (await openssl(t)).verify(caPem, certificatePem(leaf));
  t.ok(verified.ok, verified.output);
});

t.test('refused: a certificate that is no CA, another key, a P-384 key, no certificate', async (t) => {
  const keys = await generateP256KeyPair();
  const notCa = certificatePem(
    selfSignedCertificate(
      {
        subject: [{ type: 'CN', value: 'not a CA' }],
        publicKey: keys.publicKey,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        extensions: [basicConstraints(false)],
      },
      keys.privateKey,
    ),
  );
  const caKeys = await generateP256KeyPair();
  const caPem = certificatePem(
    selfSignedCertificate(
      {
        subject: [{ type: 'CN', value: 'CA' }],
        publicKey: caKeys.publicKey,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        extensions: [basicConstraints(true)],
      },
      caKeys.privateKey,
    ),
  );
  t.ok(issuerFromCertificate(caPem, caKeys.privateKey), 'the CA with its key is accepted');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
  const cases: [string, () => unknown][] = [
    ['not a CA', () => issuerFromCertificate(notCa, keys.privateKey)],
    ['another key', () => issuerFromCertificate(caPem, keys.privateKey)],
    ['a public key', () => issuerFromCertificate(caPem, caKeys.publicKey)],
    ['a P-384 key', () => issuerFromCertificate(caPem, p384)],
    [
      'no certificate',
      () => issuerFromCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', caKeys.privateKey),
    ],
    ['garbage', () => issuerFromCertificate(Buffer.from('hello'), caKeys.privateKey)],
  ];
  for (const [name, run] of cases) t.throws(run, invalid, name);
});

// Extension encodings byte for byte (RFC 5280 §4.2, and the bytes our earlier @peculiar/x509 certificates
// carried), then a whole certificate read back by @peculiar/x509: an independent parser, used here only as a
// cross-check (lib/ no longer imports it).
import 'reflect-metadata';
import t from 'tap';
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';
import { InputError } from '../../../lib/errors.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePem,
  extendedKeyUsage,
  generateP256KeyPair,
  keyIdentifier,
  keyUsage,
  selfSignedCertificate,
  spkiDer,
  subjectAltName,
  subjectKeyIdentifier,
} from '../../../lib/x509/index.js';

const hex = (der: Buffer): string => der.toString('hex');
const invalid = { constructor: InputError, code: 'INVALID_ARGUMENT' };

t.test('each extension as DER', async (t) => {
  const keys = await generateP256KeyPair();
  const spki = spkiDer(keys.publicKey);
  // For P-256 the subjectPublicKey is the 65-byte uncompressed point at the end of the SPKI.
  const ski = createHash('sha1').update(spki.subarray(-65)).digest();
  t.same(keyIdentifier(spki), ski, 'method 1: SHA-1 of the BIT STRING contents without the unused-bits byte');
  const table: [string, Buffer, string][] = [
    ['basicConstraints cA false (DEFAULT omitted), critical', basicConstraints(false), '300c0603551d130101ff04023000'],
    ['basicConstraints cA true, critical', basicConstraints(true), '300f0603551d130101ff040530030101ff'],
    ['keyUsage digitalSignature, critical', keyUsage(['digitalSignature']), '300e0603551d0f0101ff040403020780'],
    ['keyUsage CA', keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']), '300e0603551d0f0101ff040403020186'],
    [
      'keyUsage order does not matter',
      keyUsage(['cRLSign', 'keyCertSign', 'digitalSignature']),
      '300e0603551d0f0101ff040403020186',
    ],
    [
      'keyUsage decipherOnly needs a second byte',
      keyUsage(['decipherOnly']),
      '300f0603551d0f0101ff0405030307' + '0080',
    ],
    [
      'extKeyUsage serverAuth, not critical',
      extendedKeyUsage(['serverAuth']),
      '30130603551d25040c300a06082b06010505070301',
    ],
    ['extKeyUsage clientAuth', extendedKeyUsage(['clientAuth']), '30130603551d25040c300a06082b06010505070302'],
    [
      'subjectAltName DNS, IPv4, IPv6',
      subjectAltName(['localhost', '127.0.0.1', '::1']),
      '302c0603551d1104253023' + '82096c6f63616c686f7374' + '87047f000001' + '871000000000000000000000000000000001',
    ],
    ['subjectKeyIdentifier', subjectKeyIdentifier(spki), `301d0603551d0e04160414${hex(ski)}`],
    ['authorityKeyIdentifier keyIdentifier [0]', authorityKeyIdentifier(ski), `301f0603551d23041830168014${hex(ski)}`],
  ];
  for (const [name, der, expected] of table) t.equal(hex(der), expected, name);
});

t.test('refused: empty lists and names that are neither a DNS name nor an IP address', (t) => {
  const cases: [string, () => unknown][] = [
    ['no key usage', () => keyUsage([])],
    ['no extended key usage', () => extendedKeyUsage([])],
    ['no SAN entry', () => subjectAltName([])],
    ['SAN with a space', () => subjectAltName(['a b'])],
    ['SAN with a non-ASCII name', () => subjectAltName(['bücher.example'])],
    ['SAN empty name', () => subjectAltName([''])],
    ['SAN with an IPv6 zone', () => subjectAltName(['fe80::1%eth0'])],
    ['empty key identifier', () => authorityKeyIdentifier(Buffer.alloc(0))],
    ['not an SPKI', () => keyIdentifier(Buffer.from('3000', 'hex'))],
    ['not DER', () => keyIdentifier(Buffer.from('hello'))],
  ];
  for (const [name, run] of cases) t.throws(run, invalid, name);
  t.end();
});

t.test('@peculiar/x509 reads the same extensions back (independent cross-check)', async (t) => {
  const keys = await generateP256KeyPair();
  const spki = spkiDer(keys.publicKey);
  const der = selfSignedCertificate(
    {
      subject: [{ type: 'CN', value: 'cross-check' }],
      publicKey: keys.publicKey,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-02-01T00:00:00Z'),
      extensions: [
        basicConstraints(true),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        extendedKeyUsage(['serverAuth', 'clientAuth']),
        subjectAltName(['node-0.example', '10.1.2.3', '2001:db8::1']),
        subjectKeyIdentifier(spki),
        authorityKeyIdentifier(keyIdentifier(spki)),
      ],
    },
    keys.privateKey,
  );
  const certificate = new x509.X509Certificate(certificatePem(der));
  t.equal(certificate.subject, 'CN=cross-check');
  t.equal(certificate.serialNumber.length, 32, '16-byte serial');
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  t.equal(basic?.ca, true);
  t.equal(basic?.critical, true);
  t.equal(basic?.pathLength, undefined);
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  t.equal(
    usage?.usages,
    x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
  );
  t.equal(usage?.critical, true);
  const extended = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  t.same(extended?.usages, [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
  t.equal(extended?.critical, false);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  t.same(
    san?.names.items.map((name) => [name.type, name.value]),
    [
      ['dns', 'node-0.example'],
      ['ip', '10.1.2.3'],
      ['ip', '2001:db8::1'],
    ],
  );
  t.equal(certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, hex(keyIdentifier(spki)));
  t.equal(certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, hex(keyIdentifier(spki)));
  const computed = await x509.SubjectKeyIdentifierExtension.create(await certificate.publicKey.export());
  t.equal(computed.keyId, hex(keyIdentifier(spki)), 'the same key identifier @peculiar/x509 computes');
  t.ok(await certificate.verify({ publicKey: certificate.publicKey, signatureOnly: true }), 'signature verifies');
});

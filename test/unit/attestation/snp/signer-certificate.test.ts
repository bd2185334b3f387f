import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { VerificationError } from '../../../../lib/errors.js';
import { parseAmdCertificate, certificatesFromPem } from '../../../../lib/attestation/snp/amd-certificate.js';
import { parseSignerCertificate } from '../../../../lib/attestation/snp/signer-certificate.js';
import { parseProductName } from '../../../../lib/attestation/snp/snp-product.js';
import { GSG, TURIN_VCEK, VIRTEE, amdChain, expectedVector } from './snp-vectors.js';

for (const [id, der] of [
  ['gsg-milan-vcek', GSG.vcek],
  ['virtee-milan-vcek', VIRTEE.vcek],
  ['virtee-turin-vcek-chain-only', TURIN_VCEK],
] as const) {
  t.test(`${id}: VCEK facts match expected.json`, (t) => {
    const e = expectedVector(id).signer_cert;
    const s = parseSignerCertificate(der);
    t.equal(s.kind, 'vcek');
    t.equal(s.certificate.serial.toString('hex'), '00', 'serial number 0');
    t.equal(s.certificate.fingerprint, e.sha256_fingerprint);
    t.equal(s.certificate.notBefore.toISOString(), new Date(String(e.not_before)).toISOString());
    t.equal(s.certificate.notAfter.toISOString(), new Date(String(e.not_after)).toISOString());
    t.equal(s.certificate.subjectCommonName, 'SEV-VCEK');
    t.equal(s.productName, e.productName);
    t.equal(s.structVersion, e.structVersion);
    t.same([s.spls.bootloader, s.spls.tee, s.spls.snp, s.spls.microcode], [e.blSPL, e.teeSPL, e.snpSPL, e.ucodeSPL]);
    t.equal(s.spls.fmc, e.fmcSPL);
    t.equal(s.hwId?.toString('hex'), e.hwID);
    t.equal(s.cspId, undefined);
    t.equal(s.certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    // Cross-check our reader against OpenSSL's view of the same certificate.
    const x = new X509Certificate(der);
    t.ok(x.publicKey.equals(s.certificate.publicKey));
    t.equal(new Date(x.validTo).getTime(), s.certificate.notAfter.getTime());
    t.end();
  });
}

t.test('product names: stepping facts', (t) => {
  t.same(parseProductName('Milan-B0'), { product: 'Milan', steppingName: 'B0', stepping: 0 });
  t.same(parseProductName('Genoa-B1'), { product: 'Genoa', steppingName: 'B1', stepping: 1 });
  t.same(parseProductName('Turin'), { product: 'Turin', steppingName: undefined, stepping: undefined });
  t.same(parseProductName('Milan'), { product: 'Milan', steppingName: undefined, stepping: undefined });
  for (const bad of ['Naples-B0', 'Rome', '', 'Milan-', 'Milan-b0', 'Milan-B10']) {
    t.throws(() => parseProductName(bad), { constructor: VerificationError, code: 'SNP_PRODUCT_UNKNOWN' }, bad);
  }
  t.end();
});

t.test('PEM and DER inputs give the same signer', (t) => {
  const pem = new X509Certificate(GSG.vcek).toString();
  t.equal(
    parseSignerCertificate(pem).certificate.fingerprint,
    parseSignerCertificate(GSG.vcek).certificate.fingerprint,
  );
  t.throws(() => parseSignerCertificate(pem + pem), { constructor: VerificationError, code: 'SNP_CERT_MALFORMED' });
  t.throws(() => parseSignerCertificate('no pem here'), { constructor: VerificationError, code: 'SNP_CERT_MALFORMED' });
  t.end();
});

t.test('an ASK or ARK is not a signer certificate', (t) => {
  for (const der of certificatesFromPem(amdChain('ask_ark_milan.pem'))) {
    t.throws(() => parseSignerCertificate(der), { constructor: VerificationError, code: 'SNP_CERT_MALFORMED' });
  }
  t.end();
});

t.test('AMD chain certificates parse with RSASSA-PSS SHA-384 parameters', (t) => {
  for (const der of certificatesFromPem(amdChain('ask_ark_turin_vlek.pem'))) {
    const c = parseAmdCertificate(der);
    t.same(c.pss, {
      hash: '2.16.840.1.101.3.4.2.2',
      mgfHash: '2.16.840.1.101.3.4.2.2',
      saltLength: 48,
      trailerField: 1,
    });
    t.ok(['SEV-VLEK-Turin', 'ARK-Turin'].includes(c.subjectCommonName), c.subjectCommonName);
  }
  t.end();
});

t.test('truncated or extended certificates are SNP_CERT_MALFORMED', (t) => {
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['truncated', GSG.vcek.subarray(0, GSG.vcek.length - 1)],
    ['trailing byte', Buffer.concat([GSG.vcek, Buffer.from([0])])],
    ['not a sequence', Buffer.from([0x04, 0x01, 0x00])],
    ['indefinite length', Buffer.from([0x30, 0x80, 0x00, 0x00])],
  ];
  for (const [name, der] of cases) {
    t.throws(() => parseAmdCertificate(der), { constructor: VerificationError, code: 'SNP_CERT_MALFORMED' }, name);
  }
  t.end();
});

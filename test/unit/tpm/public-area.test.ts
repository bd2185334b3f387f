import t from 'tap';
import { generateKeyPairSync, createECDH } from 'node:crypto';
import { VerificationError } from '../../../lib/errors.js';
import { parsePublic, parsePublic2B } from '../../../lib/tpm/public-area.js';
import { marshalPublic, publicFromKey } from '../../../lib/tpm/public-marshal.js';
import { TPM_ALG, TPM_ECC_CURVE, objectAttributeFlags } from '../../../lib/tpm/tpm-constants.js';
import { TpmWriter } from '../../../lib/tpm/tpm-writer.js';
import { gcpAttestation, windowsQuote } from './tpm-vectors.js';

t.test('GCE COS-85 AK: RSA-2048, SHA-256 name, RSASSA-SHA256, exponent 0 means 65537', (t) => {
  const { akPublic } = gcpAttestation('gce-cos-85-nonce9009.pb');
  const ak = parsePublic(akPublic);
  if (ak.type !== 'rsa') throw new Error(`expected an RSA AK, got ${ak.type}`);
  t.equal(ak.nameAlg, TPM_ALG.SHA256);
  t.equal(ak.keyBits, 2048);
  t.equal(ak.exponent, 0);
  t.same(ak.scheme, { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 });
  t.equal(ak.symmetric, undefined);
  t.ok(objectAttributeFlags(ak.objectAttributes).includes('restricted'));
  t.ok(objectAttributeFlags(ak.objectAttributes).includes('sign'));
  const jwk = ak.key.export({ format: 'jwk' });
  t.equal(jwk.e, 'AQAB');
  t.equal(Buffer.from(jwk.n ?? '', 'base64url').toString('hex'), ak.modulus.toString('hex'));
  t.same(ak.raw, akPublic);
  t.end();
});

t.test('Windows GCP AK: RSASSA with SHA-1 and attributes 0x50472', (t) => {
  const ak = parsePublic(windowsQuote().akPublic);
  t.equal(ak.objectAttributes, 0x50472);
  t.same(ak.scheme, { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA1 });
  t.same(objectAttributeFlags(ak.objectAttributes), [
    'fixedTPM',
    'fixedParent',
    'sensitiveDataOrigin',
    'userWithAuth',
    'noDA',
    'restricted',
    'sign',
  ]);
  t.end();
});

for (const curve of ['P-256', 'P-384'] as const) {
  t.test(`ECC ${curve} keys survive marshal and parse; TPM2B_PUBLIC form too`, (t) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const raw = marshalPublic(publicKey);
    const ak = parsePublic(raw);
    if (ak.type !== 'ecc') throw new Error('expected ECC');
    t.equal(ak.curve, curve);
    t.equal(ak.curveId, curve === 'P-256' ? TPM_ECC_CURVE.NIST_P256 : TPM_ECC_CURVE.NIST_P384);
    t.same(ak.scheme, { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 });
    t.ok(ak.key.equals(publicKey));
    const twoB = new TpmWriter().sized(raw).toBuffer();
    t.ok(parsePublic2B(twoB).key.equals(publicKey));
    t.end();
  });
}

t.test('an EK-style template keeps symmetric AES-128-CFB and a NULL scheme', (t) => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ek = publicFromKey(publicKey, {
    scheme: null,
    symmetric: { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
    authPolicy: Buffer.alloc(32, 1),
  });
  t.same(ek.symmetric, { alg: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB });
  t.equal(ek.scheme, undefined);
  t.equal(ek.authPolicy.length, 32);
  t.end();
});

const gcpAk = (): Buffer => gcpAttestation('gce-cos-85-nonce9009.pb').akPublic;

t.test('rejects what is not an RSA/ECC public area, each with its own code', (t) => {
  const keyedHash = Buffer.from(gcpAk());
  keyedHash.writeUInt16BE(TPM_ALG.KEYEDHASH, 0);
  t.throws(() => parsePublic(keyedHash), {
    constructor: VerificationError,
    code: 'TPM_KEY_UNSUPPORTED',
    message: /TPM_ALG_RSA or TPM_ALG_ECC, got TPM_ALG_KEYEDHASH \(0x0008\)/,
  });
  const truncated = gcpAk().subarray(0, 100);
  t.throws(() => parsePublic(truncated), { constructor: VerificationError, code: 'TPM_STRUCTURE_MALFORMED' });
  const trailing = Buffer.concat([gcpAk(), Buffer.from([0])]);
  t.throws(() => parsePublic(trailing), { code: 'TPM_STRUCTURE_MALFORMED', message: /1 more bytes follow/ });
  const badNameAlg = Buffer.from(gcpAk());
  badNameAlg.writeUInt16BE(0x0099, 2);
  t.throws(() => parsePublic(badNameAlg), { code: 'TPM_STRUCTURE_MALFORMED', message: /hash algorithm for nameAlg/ });
  const wrongKeyBits = Buffer.from(gcpAk());
  wrongKeyBits.writeUInt16BE(3072, 16); // after type, nameAlg, attributes, empty authPolicy, NULL symmetric, RSASSA+hash
  t.throws(() => parsePublic(wrongKeyBits), { code: 'TPM_STRUCTURE_MALFORMED', message: /keyBits 3072/ });
  const evenExponent = Buffer.from(gcpAk());
  evenExponent.writeUInt32BE(4, 18);
  t.throws(() => parsePublic(evenExponent), { constructor: VerificationError, code: 'TPM_KEY_INVALID' });
  t.end();
});

t.test('ECC: unsupported curve and points not on the curve', (t) => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const point = ecdh.getPublicKey();
  const build = (curveId: number, y: Buffer): Buffer =>
    new TpmWriter()
      .u16(TPM_ALG.ECC)
      .u16(TPM_ALG.SHA256)
      .u32(0x50072)
      .sized(Buffer.alloc(0))
      .u16(TPM_ALG.NULL)
      .u16(TPM_ALG.ECDSA)
      .u16(TPM_ALG.SHA256)
      .u16(curveId)
      .u16(TPM_ALG.NULL)
      .sized(point.subarray(1, 33))
      .sized(y)
      .toBuffer();
  t.ok(parsePublic(build(TPM_ECC_CURVE.NIST_P256, point.subarray(33))).key);
  t.throws(() => parsePublic(build(0x0010, point.subarray(33))), {
    constructor: VerificationError,
    code: 'TPM_KEY_UNSUPPORTED',
    message: /TPM_ECC_CURVE 0x0010/,
  });
  const offCurve = Buffer.from(point.subarray(33));
  offCurve[31]! ^= 1;
  t.throws(() => parsePublic(build(TPM_ECC_CURVE.NIST_P256, offCurve)), {
    constructor: VerificationError,
    code: 'TPM_KEY_INVALID',
  });
  t.throws(() => parsePublic(build(TPM_ECC_CURVE.NIST_P256, Buffer.alloc(33, 1))), { code: 'TPM_STRUCTURE_MALFORMED' });
  t.end();
});

t.test('parsePublic2B needs the size to match the contents exactly', (t) => {
  const raw = gcpAk();
  const twoB = new TpmWriter().sized(raw).toBuffer();
  t.same(parsePublic2B(twoB).raw, raw);
  t.throws(() => parsePublic2B(Buffer.concat([twoB, Buffer.alloc(1)])), { code: 'TPM_STRUCTURE_MALFORMED' });
  t.throws(() => parsePublic2B(twoB.subarray(0, twoB.length - 1)), { code: 'TPM_STRUCTURE_MALFORMED' });
  t.end();
});

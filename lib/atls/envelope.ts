// Sealing secrets to a node's ephemeral ECDH key (ECIES: P-256 ECDH + HKDF-SHA256 + AES-256-GCM). The
// join service seals tickets to the key the node's evidence is bound to, so a relay in between learns
// nothing. Layout: 0x01 ‖ u16be len ‖ ephemeral SPKI DER ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { VerificationError } from '../errors.js';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = 'constellation-envelope-v1';

function envelopeInvalid(reason: string, cause?: unknown): VerificationError {
  return new VerificationError('ENVELOPE_INVALID', `Expected a sealed envelope for this key and context, ${reason}`, {
    cause,
  });
}

function p256PublicKey(spki: Buffer | KeyObject, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = Buffer.isBuffer(spki) ? createPublicKey({ key: spki, format: 'der', type: 'spki' }) : spki;
  } catch (cause) {
    throw envelopeInvalid(`found ${what} that is not a SubjectPublicKeyInfo`, cause);
  }
  if (key.type !== 'public') throw envelopeInvalid(`found ${what} that is not a public key`);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw envelopeInvalid(`found ${what} that is not a P-256 key`);
  }
  return key;
}

/** DER SubjectPublicKeyInfo prefix of a P-256 key (id-ecPublicKey, prime256v1), before the 65-byte point. */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_POINT_BYTES = 65;

function p256Spki(point: Buffer): Buffer {
  return Buffer.concat([P256_SPKI_PREFIX, point]);
}

/** True for the canonical SPKI DER of a P-256 key: named curve, uncompressed point (as KeyObject.export gives). */
function isCanonicalP256Spki(spki: Buffer): boolean {
  return (
    spki.length === P256_SPKI_PREFIX.length + P256_POINT_BYTES &&
    spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX) &&
    spki[P256_SPKI_PREFIX.length] === 0x04
  );
}

/**
 * The recipient's canonical SPKI and its uncompressed point. A canonical P-256 SPKI is used as is (DER is
 * canonical, so parsing and exporting it would give the same bytes; OpenSSL 3 spends about 0.25 ms on the
 * two); the point is checked to be on the curve by the ECDH computation itself. Anything else (a KeyObject,
 * a compressed point) is parsed, checked to be P-256 and put in that canonical form.
 */
function recipientPoint(recipient: Buffer | KeyObject): { spki: Buffer; point: Buffer } {
  if (Buffer.isBuffer(recipient) && isCanonicalP256Spki(recipient)) {
    return { spki: recipient, point: recipient.subarray(P256_SPKI_PREFIX.length) };
  }
  const jwk = p256PublicKey(recipient, 'a recipient key').export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
  return { spki: p256Spki(point), point };
}

function derive(shared: Buffer, ephemeralSpki: Buffer, recipientSpki: Buffer): Buffer {
  // Both public keys in the salt tie the key to this exact exchange.
  const salt = Buffer.concat([ephemeralSpki, recipientSpki]);
  return Buffer.from(hkdfSync('sha256', shared, salt, INFO, 32));
}

function header(ephemeralSpki: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(VERSION, 0);
  head.writeUInt16BE(ephemeralSpki.length, 1);
  return Buffer.concat([head, ephemeralSpki]);
}

/**
 * Seals `plaintext` to the P-256 key `recipient` (SPKI DER, or a public KeyObject the caller already parsed);
 * `aad` (e.g. a request digest) must match on open.
 */
export function sealTo(recipient: Buffer | KeyObject, plaintext: Buffer, aad: Buffer): Buffer {
  const { spki: recipientSpki, point } = recipientPoint(recipient);
  // Raw ECDH gives the same X-coordinate secret as diffieHellman on the opener's side, without SPKI encodings.
  const ephemeral = createECDH('prime256v1');
  const ephemeralSpki = p256Spki(ephemeral.generateKeys());
  let shared: Buffer;
  try {
    shared = ephemeral.computeSecret(point);
  } catch (cause) {
    throw envelopeInvalid('found a recipient key that is not a point on P-256', cause);
  }
  const key = derive(shared, ephemeralSpki, recipientSpki);
  const iv = randomBytes(IV_BYTES);
  const head = header(ephemeralSpki);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([head, aad]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, ciphertext, cipher.getAuthTag()]);
}

/** Opens an envelope sealed to `privateKey`; throws VerificationError ENVELOPE_INVALID on any mismatch. */
export function openSealed(privateKey: KeyObject, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < 3 + IV_BYTES + TAG_BYTES || sealed.readUInt8(0) !== VERSION) {
    throw envelopeInvalid(`found ${sealed.length} bytes without envelope version ${VERSION}`);
  }
  const spkiLength = sealed.readUInt16BE(1);
  const bodyStart = 3 + spkiLength;
  if (sealed.length < bodyStart + IV_BYTES + TAG_BYTES) throw envelopeInvalid('found a truncated envelope');
  const ephemeralSpki = sealed.subarray(3, bodyStart);
  const ephemeral = p256PublicKey(ephemeralSpki, 'an ephemeral key');
  const recipientSpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  try {
    const key = derive(diffieHellman({ privateKey, publicKey: ephemeral }), ephemeralSpki, recipientSpki);
    const iv = sealed.subarray(bodyStart, bodyStart + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.concat([sealed.subarray(0, bodyStart), aad]));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(bodyStart + IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (cause) {
    throw envelopeInvalid('found one that does not authenticate (other key, altered bytes or other context)', cause);
  }
}

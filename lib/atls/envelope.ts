// Sealing secrets to a node's ephemeral ECDH key (ECIES: P-256 ECDH + HKDF-SHA256 + AES-256-GCM). The
// join service seals tickets to the key the node's evidence is bound to, so a relay in between learns
// nothing. Layout: 0x01 ‖ u16be len ‖ ephemeral SPKI DER ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
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

function p256PublicKey(spkiDer: Buffer, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch (cause) {
    throw envelopeInvalid(`found ${what} that is not a SubjectPublicKeyInfo`, cause);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw envelopeInvalid(`found ${what} that is not a P-256 key`);
  }
  return key;
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

/** Seals `plaintext` to the P-256 key `recipientSpkiDer`; `aad` (e.g. a request digest) must match on open. */
export function sealTo(recipientSpkiDer: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const recipient = p256PublicKey(recipientSpkiDer, 'a recipient key');
  const recipientSpki = recipient.export({ type: 'spki', format: 'der' });
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ephemeralSpki = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const key = derive(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }),
    ephemeralSpki,
    recipientSpki,
  );
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

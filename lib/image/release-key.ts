// The release key that signs measurements files: Ed25519, identified by the sha256 of its SPKI DER. The CLI
// only ever needs the public half; the private half stays with whoever builds images.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { InputError, invalidArgument } from '../errors.js';

export const RELEASE_KEY_INVALID = 'RELEASE_KEY_INVALID';

/** sha256 (hex) of the SPKI DER of `key` (its public half when given a private key). */
export function releaseKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The Ed25519 public key in a PEM file (SPKI "PUBLIC KEY"); `source` names the file in errors. */
export function parseReleasePublicKey(pem: Buffer | string, source: string): KeyObject {
  const text = pem.toString();
  if (text.includes('PRIVATE KEY')) {
    throw new InputError(
      RELEASE_KEY_INVALID,
      `Expected the public release key in ${source}, found a private key; pass release-key.pub.pem and keep the private key where images are built`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new InputError(RELEASE_KEY_INVALID, `Expected a PEM public key in ${source}, found something else`);
  }
  return requireEd25519(key, source);
}

/** The Ed25519 private key in a PEM file (PKCS#8 "PRIVATE KEY"), for the image build. */
export function parseReleasePrivateKey(pem: Buffer | string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem.toString(), format: 'pem' });
  } catch {
    throw new InputError(RELEASE_KEY_INVALID, `Expected a PEM private key in ${source}, found something else`);
  }
  return requireEd25519(key, source);
}

function requireEd25519(key: KeyObject, source: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InputError(
      RELEASE_KEY_INVALID,
      `Expected an Ed25519 key in ${source}, found a ${key.asymmetricKeyType ?? 'unknown'} key`,
    );
  }
  return key;
}

/** Checks a key handed to the library: an Ed25519 KeyObject of the given type. */
export function checkReleaseKey(key: unknown, type: 'public' | 'private', name: string): KeyObject {
  const ok =
    typeof key === 'object' &&
    key !== null &&
    'asymmetricKeyType' in key &&
    (key as KeyObject).asymmetricKeyType === 'ed25519' &&
    (key as KeyObject).type === type;
  if (!ok) throw invalidArgument(name, `an Ed25519 ${type} KeyObject`, key);
  return key as KeyObject;
}

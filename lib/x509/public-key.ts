// Key material for the certificates we issue: P-256 key pairs from node:crypto (generated off the event
// loop), their SubjectPublicKeyInfo, PKCS#8 PEM, and the RFC 5280 method-1 key identifier.
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { DER_TAG, derBitString, derChildren, readDerRoot } from '../asn1/der-reader.js';
import { InputError, invalidArgument } from '../errors.js';

const generate = promisify(generateKeyPair);

/** The only curve we issue with: what kubeadm and our TLS peers expect. */
export const P256 = 'prime256v1';

export interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export function generateP256KeyPair(): Promise<KeyPair> {
  return generate('ec', { namedCurve: P256 });
}

/** Refuses anything but a P-256 key of the given type (a signing key must be private). */
export function checkP256(key: KeyObject, type: 'public' | 'private', name: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.type !== type || key.asymmetricKeyType !== 'ec' || curve !== P256) {
    const found = `a ${key.type} ${key.asymmetricKeyType ?? 'secret'} key${curve === undefined ? '' : ` on ${curve}`}`;
    throw invalidArgument(name, `a ${type} EC key on ${P256} (P-256)`, found);
  }
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function pkcs8Pem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

const malformedSpki = (message: string): Error =>
  new InputError('INVALID_ARGUMENT', `Expected a DER SubjectPublicKeyInfo: ${message}`);

/** SHA-1 of the subjectPublicKey BIT STRING contents, without tag, length and unused-bits byte (RFC 5280 §4.2.1.2 (1)). */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, subjectPublicKey] = derChildren(readDerRoot(spki, malformedSpki), malformedSpki, DER_TAG.sequence, 'SPKI');
  if (!subjectPublicKey) throw malformedSpki('no subjectPublicKey');
  return createHash('sha1')
    .update(derBitString(subjectPublicKey, malformedSpki, 'subjectPublicKey'))
    .digest();
}

// Builds and signs X.509 v3 certificates (RFC 5280 §4.1) with ECDSA P-256 / SHA-256, on node:crypto alone:
// the certificates we issue are few and fixed in shape (an ephemeral TLS identity, the cluster CA and its
// client certificates), which a generic X.509 library would serve at ~17 MB of resident memory.
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  encodeBitString,
  encodeExplicit,
  encodeInteger,
  encodeOid,
  encodeSequence,
  encodeTime,
} from '../asn1/der-writer.js';
import { invalidArgument } from '../errors.js';
import { encodeName, type DistinguishedName } from './distinguished-name.js';
import type { CertificateIssuer } from './issuer-certificate.js';
import { checkP256, spkiDer } from './public-key.js';

/** ecdsa-with-SHA256; RFC 5758 §3.2: the parameters field is absent. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const VERSION_3 = 2n;
const SERIAL_BYTES = 16;

export interface CertificateTemplate {
  readonly subject: DistinguishedName;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Encoded Extension elements (extensions.ts), in the order they should appear. */
  readonly extensions: readonly Buffer[];
}

/**
 * A random, positive serial of exactly 16 bytes: the top bits 01 keep the INTEGER positive without a padding
 * byte and never zero, leaving 126 random bits (RFC 5280 §4.1.2.2 asks for at most 20 bytes, unique per CA).
 */
export function randomSerialNumber(): Buffer {
  const serial = randomBytes(SERIAL_BYTES);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial;
}

/** Refuses what would make a certificate nobody can use, before any signing. */
function checkTemplate(template: CertificateTemplate): void {
  const { notBefore, notAfter } = template;
  if (!(notBefore.getTime() < notAfter.getTime())) {
    throw invalidArgument('validity', 'notBefore earlier than notAfter', `${String(notBefore)} .. ${String(notAfter)}`);
  }
  if (template.publicKey.type !== 'public') {
    throw invalidArgument('subject public key', 'a public key', `a ${template.publicKey.type} key`);
  }
}

function buildSigned(template: CertificateTemplate, issuerName: Buffer, signingKey: KeyObject): Buffer {
  const { notBefore, notAfter } = template;
  const algorithm = encodeSequence(encodeOid(ECDSA_WITH_SHA256));
  const extensions =
    template.extensions.length === 0 ? [] : [encodeExplicit(3, encodeSequence(...template.extensions))];
  const tbs = encodeSequence(
    encodeExplicit(0, encodeInteger(VERSION_3)),
    encodeInteger(randomSerialNumber()),
    algorithm,
    issuerName,
    encodeSequence(encodeTime(notBefore), encodeTime(notAfter)),
    encodeName(template.subject),
    spkiDer(template.publicKey),
    ...extensions,
  );
  const signature = sign('sha256', tbs, { key: signingKey, dsaEncoding: 'der' });
  return encodeSequence(tbs, algorithm, encodeBitString(signature));
}

/** A certificate signed by the private key of its own public key (issuer = subject). */
export function selfSignedCertificate(template: CertificateTemplate, privateKey: KeyObject): Buffer {
  checkTemplate(template);
  checkP256(privateKey, 'private', 'self-signing key');
  const own = spkiDer(createPublicKey(privateKey));
  if (!own.equals(spkiDer(template.publicKey))) {
    throw invalidArgument('self-signing key', 'the private key of the subject public key', 'another key');
  }
  return buildSigned(template, encodeName(template.subject), privateKey);
}

/** A certificate signed by a CA (issuer-certificate.ts gives its name and checked key). */
export function issueCertificate(template: CertificateTemplate, issuer: CertificateIssuer): Buffer {
  checkTemplate(template);
  checkP256(issuer.signingKey, 'private', 'issuer signing key');
  return buildSigned(template, issuer.name, issuer.signingKey);
}

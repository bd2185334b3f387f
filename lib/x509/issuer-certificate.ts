// What issuing under an existing CA certificate needs from it: its subject Name exactly as encoded (the
// issued certificate's issuer must match it; RFC 5280 §4.1.2.4), the key identifier its subjectKeyIdentifier
// carries (for authorityKeyIdentifier) and a signing key proven to belong to it. Works for CA certificates
// made by other tools too (our earlier @peculiar/x509 ones on disk), so nothing about them is assumed.
import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  DER_TAG,
  derBytes,
  derChildren,
  derOid,
  derValue,
  expectTag,
  readDerRoot,
  type DerNode,
} from '../asn1/der-reader.js';
import { InputError, invalidArgument } from '../errors.js';
import { EXTENSION_OID } from './extensions.js';
import { checkP256, keyIdentifier, spkiDer } from './public-key.js';

export interface CertificateIssuer {
  /** The issuer certificate's subject Name DER. */
  readonly name: Buffer;
  /** Its subjectKeyIdentifier, or the method-1 identifier of its key when it has none. */
  readonly keyIdentifier: Buffer;
  readonly signingKey: KeyObject;
}

const malformed = (message: string): Error =>
  new InputError('INVALID_ARGUMENT', `Expected a DER X.509 certificate for the issuer: ${message}`);

/** TBSCertificate fields after the optional [0] version: serial, signature, issuer, validity, subject, SPKI, … */
function tbsFields(der: Buffer): DerNode[] {
  const [tbs] = derChildren(readDerRoot(der, malformed), malformed, DER_TAG.sequence, 'Certificate');
  if (!tbs) throw malformed('no TBSCertificate');
  const fields = derChildren(tbs, malformed, DER_TAG.sequence, 'TBSCertificate');
  return fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
}

/** The keyIdentifier inside the subjectKeyIdentifier extension, if the certificate has one. */
function subjectKeyIdentifierOf(fields: readonly DerNode[]): Buffer | undefined {
  const extensions = fields.find((field) => field.tag === 0xa3);
  if (!extensions) return undefined;
  const [list] = derChildren(extensions, malformed);
  for (const entry of list ? derChildren(list, malformed, DER_TAG.sequence, 'Extensions') : []) {
    const [oid, ...rest] = derChildren(entry, malformed, DER_TAG.sequence, 'Extension');
    const value = rest[rest.length - 1];
    if (!oid || !value || derOid(oid, malformed) !== EXTENSION_OID.subjectKeyIdentifier) continue;
    const inner = readDerRoot(derValue(value), malformed);
    return Buffer.from(derValue(inner));
  }
  return undefined;
}

/** The issuer for certificates signed by `signingKey` under `certificate` (PEM or DER), which must be a CA. */
export function issuerFromCertificate(certificate: string | Buffer, signingKey: KeyObject): CertificateIssuer {
  checkP256(signingKey, 'private', 'issuer signing key');
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(certificate);
  } catch (error) {
    throw new InputError('INVALID_ARGUMENT', 'Expected a PEM or DER X.509 certificate for the issuer', {
      cause: error,
    });
  }
  if (!parsed.ca) throw invalidArgument('issuer certificate', 'a CA certificate (basicConstraints cA)', parsed.subject);
  if (!parsed.checkPrivateKey(signingKey)) {
    throw invalidArgument('issuer signing key', `the private key of the CA "${parsed.subject}"`, 'another key');
  }
  const fields = tbsFields(parsed.raw);
  const subject = fields[4];
  if (!subject) throw malformed('no subject');
  return {
    name: Buffer.from(derBytes(expectTag(subject, DER_TAG.sequence, malformed, 'subject Name'))),
    keyIdentifier: subjectKeyIdentifierOf(fields) ?? keyIdentifier(spkiDer(parsed.publicKey)),
    signingKey,
  };
}

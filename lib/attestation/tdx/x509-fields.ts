// The X.509 fields node:crypto's X509Certificate does not expose in a usable form: raw issuer and
// subject names (for CRL issuer matching), the serial as hex, validity as dates, and extensions by OID.
import { X509Certificate } from 'node:crypto';
import {
  DER_TAG,
  derBytes,
  derChildren,
  derIntegerHex,
  derOid,
  derTime,
  derValue,
  readDerRoot,
  type DerFailure,
} from '../../asn1/der-reader.js';

export interface X509Fields {
  readonly certificate: X509Certificate;
  readonly serialHex: string;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Extension OID → extnValue contents (the bytes inside the OCTET STRING). */
  readonly extensions: ReadonlyMap<string, Buffer>;
}

export function readX509Fields(certificate: X509Certificate, fail: DerFailure): X509Fields {
  const [tbs] = derChildren(readDerRoot(certificate.raw, fail), fail, DER_TAG.sequence);
  if (tbs === undefined) throw fail('expected a TBSCertificate');
  const fields = derChildren(tbs, fail, DER_TAG.sequence);
  const hasVersion = fields[0]?.tag === 0xa0;
  const [serial, , issuer, validity, subject] = fields.slice(hasVersion ? 1 : 0);
  if (serial === undefined || issuer === undefined || validity === undefined || subject === undefined) {
    throw fail('expected serial, issuer, validity and subject in the TBSCertificate');
  }
  const [notBefore, notAfter] = derChildren(validity, fail, DER_TAG.sequence);
  if (notBefore === undefined || notAfter === undefined) throw fail('expected notBefore and notAfter');
  const extensions = new Map<string, Buffer>();
  const extensionsWrapper = fields.find((f) => f.tag === 0xa3);
  if (extensionsWrapper !== undefined) {
    const [list] = derChildren(extensionsWrapper, fail);
    for (const extension of list === undefined ? [] : derChildren(list, fail, DER_TAG.sequence)) {
      const parts = derChildren(extension, fail, DER_TAG.sequence);
      const oid = parts[0];
      const value = parts[parts.length - 1];
      if (oid === undefined || value === undefined || value.tag !== DER_TAG.octetString) {
        throw fail('expected an extension of OID, optional critical flag and OCTET STRING');
      }
      extensions.set(derOid(oid, fail), derValue(value));
    }
  }
  return {
    certificate,
    serialHex: derIntegerHex(serial, fail),
    issuerDer: derBytes(issuer),
    subjectDer: derBytes(subject),
    notBefore: derTime(notBefore, fail, 'notBefore'),
    notAfter: derTime(notAfter, fail, 'notAfter'),
    extensions,
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----/g;

/**
 * Splits a PEM bundle into certificates, in order. Returns undefined when anything other than
 * whitespace or NUL padding lies outside the blocks: a damaged marker must not silently drop a certificate.
 */
export function pemCertificates(pem: string): string[] | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  const rest = pem.replace(PEM_CERTIFICATE, '');
  return /^[\s\0]*$/.test(rest) ? blocks : undefined;
}

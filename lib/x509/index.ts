// Issuing the few X.509 certificates the suite makes itself, on node:crypto and lib/asn1/der-writer.ts.
export {
  issueCertificate,
  randomSerialNumber,
  selfSignedCertificate,
  type CertificateTemplate,
} from './certificate-builder.js';
export { encodeName, NAME_ATTRIBUTE_OID, type DistinguishedName, type NameAttribute } from './distinguished-name.js';
export {
  authorityKeyIdentifier,
  basicConstraints,
  extendedKeyUsage,
  EXTENDED_KEY_USAGE,
  EXTENSION_OID,
  KEY_USAGE,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
  type ExtendedKeyUsage,
  type KeyUsage,
} from './extensions.js';
export { ipAddressBytes } from './ip-address.js';
export { issuerFromCertificate, type CertificateIssuer } from './issuer-certificate.js';
export { certificatePem } from './pem.js';
export { checkP256, generateP256KeyPair, keyIdentifier, P256, pkcs8Pem, spkiDer, type KeyPair } from './public-key.js';

// The certificate extensions we issue (RFC 5280 §4.2), each as one encoded Extension. Criticality follows
// the RFC and our earlier certificates: basicConstraints and keyUsage critical, the rest not.
import { isIP } from 'node:net';
import {
  encodeBoolean,
  encodeIa5String,
  encodeImplicit,
  encodeNamedBits,
  encodeOctetString,
  encodeOid,
  encodeSequence,
} from '../asn1/der-writer.js';
import { invalidArgument } from '../errors.js';
import { ipAddressBytes } from './ip-address.js';
import { keyIdentifier } from './public-key.js';

export const EXTENSION_OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsage = keyof typeof KEY_USAGE;

/** ExtendedKeyUsage purposes (RFC 5280 §4.2.1.12). */
export const EXTENDED_KEY_USAGE = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;
export type ExtendedKeyUsage = keyof typeof EXTENDED_KEY_USAGE;

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a field equal to its DEFAULT, so "not critical" is no BOOLEAN at all.
  const flag = critical ? [encodeBoolean(true)] : [];
  return encodeSequence(encodeOid(oid), ...flag, encodeOctetString(value));
}

/** Critical; cA is omitted when false (its DEFAULT); no path length limit. */
export function basicConstraints(ca: boolean): Buffer {
  return extension(EXTENSION_OID.basicConstraints, true, encodeSequence(...(ca ? [encodeBoolean(true)] : [])));
}

export function keyUsage(usages: readonly KeyUsage[]): Buffer {
  if (usages.length === 0) throw invalidArgument('keyUsage', 'at least one usage', usages);
  return extension(EXTENSION_OID.keyUsage, true, encodeNamedBits(usages.map((usage) => KEY_USAGE[usage])));
}

export function extendedKeyUsage(purposes: readonly ExtendedKeyUsage[]): Buffer {
  if (purposes.length === 0) throw invalidArgument('extKeyUsage', 'at least one purpose', purposes);
  const oids = purposes.map((purpose) => encodeOid(EXTENDED_KEY_USAGE[purpose]));
  return extension(EXTENSION_OID.extKeyUsage, false, encodeSequence(...oids));
}

/** IP addresses become iPAddress [7] (4 or 16 bytes), anything else a dNSName [2]. */
export function subjectAltName(hosts: readonly string[]): Buffer {
  if (hosts.length === 0) throw invalidArgument('subjectAltName', 'at least one host name or IP address', hosts);
  const names = hosts.map((host) => {
    if (isIP(host) !== 0) return encodeImplicit(7, encodeOctetString(ipAddressBytes(host)));
    if (!/^[A-Za-z0-9*._-]{1,253}$/.test(host)) {
      throw invalidArgument('subjectAltName host', 'an IP address or a DNS name of [A-Za-z0-9*._-]', host);
    }
    return encodeImplicit(2, encodeIa5String(host));
  });
  return extension(EXTENSION_OID.subjectAltName, false, encodeSequence(...names));
}

/** The method-1 identifier of the certificate's own key, from its SubjectPublicKeyInfo DER. */
export function subjectKeyIdentifier(spki: Buffer): Buffer {
  return extension(EXTENSION_OID.subjectKeyIdentifier, false, encodeOctetString(keyIdentifier(spki)));
}

/** Names the issuer's key by the issuer's subjectKeyIdentifier (keyIdentifier [0] only). */
export function authorityKeyIdentifier(issuerKeyIdentifier: Buffer): Buffer {
  if (issuerKeyIdentifier.length === 0) throw invalidArgument('authorityKeyIdentifier', 'a key identifier', 'none');
  return extension(
    EXTENSION_OID.authorityKeyIdentifier,
    false,
    encodeSequence(encodeImplicit(0, encodeOctetString(issuerKeyIdentifier))),
  );
}

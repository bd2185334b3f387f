// X.509 certificates of AMD's SEV-SNP key hierarchy (ARK, ASK/ASVK, VCEK/VLEK), read with our own DER
// reader so that custom extensions and serial number 0 are available, and checked with node:crypto.
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  DER_TAG,
  derBitString,
  derBytes,
  derChildren,
  derOid,
  derString,
  derTime,
  derUnsigned,
  derValue,
  expectTag,
  readDerRoot,
  type DerNode,
} from '../../asn1/der-reader.js';
import { snpDerFailure as fail, snpError } from './snp-error.js';

const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
const OID_SHA384 = '2.16.840.1.101.3.4.2.2';
const OID_COMMON_NAME = '2.5.4.3';

/** RSASSA-PSS parameters as written in a certificate (RFC 4055 defaults applied). */
export interface PssParameters {
  readonly hash: string;
  readonly mgfHash: string;
  readonly saltLength: number;
  readonly trailerField: number;
}

export interface AmdCertificate {
  readonly der: Buffer;
  readonly tbs: Buffer;
  /** The outer signatureAlgorithm; undefined when it is not RSASSA-PSS. */
  readonly pss: PssParameters | undefined;
  readonly signatureAlgorithmOid: string;
  readonly signature: Buffer;
  /** Whether tbsCertificate.signature equals the outer signatureAlgorithm. */
  readonly signatureAlgorithmsMatch: boolean;
  readonly serial: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly issuerCommonName: string;
  readonly subjectCommonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  /** Extension values (the contents of extnValue) by dotted OID. */
  readonly extensions: ReadonlyMap<string, Buffer>;
  /** SHA-256 of the DER, hex: how messages and states name a certificate. */
  readonly fingerprint: string;
}

function malformed(message: string): Error {
  return snpError('SNP_CERT_MALFORMED', message);
}

function child(children: readonly DerNode[], index: number, what: string): DerNode {
  const node = children[index];
  if (!node) throw malformed(`Malformed certificate: missing ${what}`);
  return node;
}

function parsePssParameters(params: DerNode | undefined): PssParameters {
  const result = { hash: '1.3.14.3.2.26', mgfHash: '1.3.14.3.2.26', saltLength: 20, trailerField: 1 };
  if (!params) return result;
  for (const field of derChildren(params, fail, DER_TAG.sequence, 'RSASSA-PSS parameters')) {
    const [inner] = derChildren(field, fail);
    if (!inner) throw malformed('Malformed certificate: empty RSASSA-PSS parameter');
    if (field.tag === 0xa0) {
      result.hash = derOid(child(derChildren(inner, fail), 0, 'PSS hash algorithm'), fail);
    } else if (field.tag === 0xa1) {
      const mgf = derChildren(inner, fail);
      if (derOid(child(mgf, 0, 'PSS mask generation function'), fail) !== OID_MGF1) {
        throw malformed('Malformed certificate: expected MGF1 as the RSASSA-PSS mask generation function');
      }
      result.mgfHash = derOid(child(derChildren(child(mgf, 1, 'MGF1 hash'), fail), 0, 'MGF1 hash algorithm'), fail);
    } else if (field.tag === 0xa2) {
      result.saltLength = derUnsigned(inner, fail, 'PSS salt length');
    } else if (field.tag === 0xa3) {
      result.trailerField = derUnsigned(inner, fail, 'PSS trailer field');
    } else {
      throw malformed(`Malformed certificate: unknown RSASSA-PSS parameter tag 0x${field.tag.toString(16)}`);
    }
  }
  return result;
}

function commonName(name: DerNode): string {
  for (const rdn of derChildren(name, fail, DER_TAG.sequence, 'Name')) {
    for (const attribute of derChildren(rdn, fail, DER_TAG.set, 'RelativeDistinguishedName')) {
      const parts = derChildren(attribute, fail, DER_TAG.sequence, 'AttributeTypeAndValue');
      if (derOid(child(parts, 0, 'attribute type'), fail) === OID_COMMON_NAME) {
        return derString(child(parts, 1, 'common name'), fail, 'common name');
      }
    }
  }
  return '';
}

function parseExtensions(node: DerNode | undefined): Map<string, Buffer> {
  const extensions = new Map<string, Buffer>();
  if (!node) return extensions;
  const [list] = derChildren(node, fail);
  if (!list) throw malformed('Malformed certificate: empty extensions');
  for (const extension of derChildren(list, fail, DER_TAG.sequence, 'Extensions')) {
    const parts = derChildren(extension, fail, DER_TAG.sequence, 'Extension');
    const oid = derOid(child(parts, 0, 'extension id'), fail);
    const value = parts[parts.length - 1];
    if (!value || parts.length < 2 || parts.length > 3) throw malformed(`Malformed certificate: extension ${oid}`);
    if (extensions.has(oid)) throw malformed(`Malformed certificate: extension ${oid} appears twice`);
    extensions.set(oid, derValue(expectTag(value, DER_TAG.octetString, fail, `extension ${oid} value`)));
  }
  return extensions;
}

/** Parses one DER certificate. Throws VerificationError('SNP_CERT_MALFORMED') on any structural problem. */
export function parseAmdCertificate(input: Uint8Array): AmdCertificate {
  const der = Buffer.from(input);
  const root = expectTag(readDerRoot(der, fail), DER_TAG.sequence, fail, 'Certificate');
  const top = derChildren(root, fail);
  if (top.length !== 3) throw malformed(`Malformed certificate: expected 3 top-level elements, got ${top.length}`);
  const tbsNode = expectTag(child(top, 0, 'tbsCertificate'), DER_TAG.sequence, fail, 'tbsCertificate');
  const algorithm = derChildren(child(top, 1, 'signatureAlgorithm'), fail, DER_TAG.sequence, 'AlgorithmId');
  const signatureAlgorithmOid = derOid(child(algorithm, 0, 'signature algorithm'), fail);
  const pss = signatureAlgorithmOid === OID_RSASSA_PSS ? parsePssParameters(algorithm[1]) : undefined;
  const signature = derBitString(child(top, 2, 'signatureValue'), fail, 'signatureValue');

  const tbs = derChildren(tbsNode, fail);
  let index = 0;
  if (tbs[0]?.tag === 0xa0) index = 1; // explicit version; v1 certificates omit it
  const serial = derValue(expectTag(child(tbs, index, 'serialNumber'), DER_TAG.integer, fail, 'serialNumber'));
  const innerAlgorithm = child(tbs, index + 1, 'tbs signature algorithm');
  // RFC 5280 requires both to be equal; a difference is a signature problem, reported when checking the chain.
  const signatureAlgorithmsMatch = derBytes(innerAlgorithm).equals(derBytes(child(top, 1, 'signatureAlgorithm')));
  const issuer = child(tbs, index + 2, 'issuer');
  const validity = derChildren(child(tbs, index + 3, 'validity'), fail, DER_TAG.sequence, 'Validity');
  const subject = child(tbs, index + 4, 'subject');
  const spki = expectTag(child(tbs, index + 5, 'subjectPublicKeyInfo'), DER_TAG.sequence, fail, 'SubjectPublicKeyInfo');
  const extensionsNode = tbs.slice(index + 6).find((node) => node.tag === 0xa3);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: derBytes(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw malformed(`Malformed certificate: subject public key cannot be loaded (${(error as Error).message})`);
  }
  return {
    der,
    tbs: derBytes(tbsNode),
    pss,
    signatureAlgorithmOid,
    signature,
    signatureAlgorithmsMatch,
    serial,
    issuerDer: derBytes(issuer),
    subjectDer: derBytes(subject),
    issuerCommonName: commonName(issuer),
    subjectCommonName: commonName(subject),
    notBefore: derTime(child(validity, 0, 'notBefore'), fail, 'notBefore'),
    notAfter: derTime(child(validity, 1, 'notAfter'), fail, 'notAfter'),
    publicKey,
    extensions: parseExtensions(extensionsNode),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}

/** Splits a PEM bundle into DER certificates, in order. */
export function certificatesFromPem(pem: string): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((block) => Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

/** A DER buffer, or a PEM string holding exactly one certificate. */
export function certificateFromDerOrPem(input: Uint8Array | string, what: string): AmdCertificate {
  if (typeof input !== 'string') return parseAmdCertificate(input);
  const ders = certificatesFromPem(input);
  if (ders.length !== 1) throw malformed(`Expected one PEM certificate for ${what}, got ${ders.length}`);
  return parseAmdCertificate(ders[0] ?? Buffer.alloc(0));
}

/**
 * Whether `issuer` signed `subject` the way AMD signs its hierarchy: names chain, and the signature is
 * RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt. Returns the reason when it did not.
 */
export function amdSignatureProblem(subject: AmdCertificate, issuer: AmdCertificate): string | undefined {
  if (!subject.issuerDer.equals(issuer.subjectDer)) {
    return `issuer name "${subject.issuerCommonName}" does not match "${issuer.subjectCommonName}"`;
  }
  if (!subject.signatureAlgorithmsMatch) return 'the signed and the outer signature algorithms differ';
  const pss = subject.pss;
  if (!pss || pss.hash !== OID_SHA384 || pss.mgfHash !== OID_SHA384 || pss.saltLength !== 48) {
    return `expected an RSASSA-PSS SHA-384 signature with salt 48, got algorithm ${subject.signatureAlgorithmOid}`;
  }
  const keyType = issuer.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'rsa-pss') return `expected an RSA issuer key, got ${String(keyType)}`;
  let ok: boolean;
  try {
    ok = verify(
      'sha384',
      subject.tbs,
      { key: issuer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
      subject.signature,
    );
  } catch {
    ok = false; // OpenSSL throws for signatures longer than the modulus: still just "does not verify"
  }
  return ok ? undefined : 'signature does not verify';
}

/** Throws SNP_CERT_EXPIRED / SNP_CERT_NOT_YET_VALID when `now` is outside the certificate's validity. */
export function checkValidity(certificate: AmdCertificate, role: string, now: Date): void {
  if (now.getTime() > certificate.notAfter.getTime()) {
    throw snpError(
      'SNP_CERT_EXPIRED',
      `${role} "${certificate.subjectCommonName}" expected valid at ${now.toISOString()}, got expired at ${certificate.notAfter.toISOString()}`,
    );
  }
  if (now.getTime() < certificate.notBefore.getTime()) {
    throw snpError(
      'SNP_CERT_NOT_YET_VALID',
      `${role} "${certificate.subjectCommonName}" expected valid at ${now.toISOString()}, got valid only from ${certificate.notBefore.toISOString()}`,
    );
  }
}

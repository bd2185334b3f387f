// X.509 CRLs from Intel PCS (PCK CRL, Root CA CRL): parsed with the DER reader, signature checked
// against the issuing certificate, validity window checked at `now`, then queried by serial.
import { verify } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import {
  DER_TAG,
  derBitString,
  derBytes,
  derChildren,
  derIntegerHex,
  derOid,
  derTime,
  expectTag,
  readDerRoot,
} from '../../asn1/der-reader.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import type { X509Fields } from './x509-fields.js';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export interface Crl {
  readonly what: string;
  readonly issuerDer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly revokedSerials: ReadonlySet<string>;
  readonly tbs: Buffer;
  readonly signature: Buffer;
}

/** Parses a DER (or PEM "X509 CRL") CRL. Structure errors → TDX_CRL_INVALID. */
export function parseCrl(bytes: Uint8Array | string, what: string): Crl {
  const fail = (message: string): VerificationError =>
    new VerificationError(TDX_ERROR.CRL_INVALID, `${what}: ${message}`);
  const der = typeof bytes === 'string' ? pemCrlToDer(bytes, fail) : Buffer.from(bytes);
  const [tbs, algorithm, signatureValue] = derChildren(readDerRoot(der, fail), fail, DER_TAG.sequence);
  if (tbs === undefined || algorithm === undefined || signatureValue === undefined) {
    throw fail('expected tbsCertList, signatureAlgorithm and signatureValue');
  }
  const [algorithmOid] = derChildren(algorithm, fail, DER_TAG.sequence);
  if (algorithmOid === undefined || derOid(algorithmOid, fail) !== ECDSA_WITH_SHA256) {
    throw fail('expected signature algorithm ecdsa-with-SHA256');
  }
  const signature = derBitString(signatureValue, fail, 'the signature');

  const fields = derChildren(tbs, fail, DER_TAG.sequence);
  const rest = fields[0]?.tag === DER_TAG.integer ? fields.slice(1) : fields;
  const [, issuer, thisUpdate, nextUpdate, maybeRevoked] = rest;
  if (issuer === undefined || thisUpdate === undefined || nextUpdate === undefined) {
    throw fail('expected issuer, thisUpdate and nextUpdate');
  }
  if (nextUpdate.tag !== DER_TAG.utcTime && nextUpdate.tag !== DER_TAG.generalizedTime) {
    throw fail('expected a nextUpdate time (Intel CRLs always carry one)');
  }
  const revokedSerials = new Set<string>();
  if (maybeRevoked?.tag === DER_TAG.sequence) {
    for (const entry of derChildren(maybeRevoked, fail, DER_TAG.sequence)) {
      const [serial] = derChildren(entry, fail, DER_TAG.sequence);
      if (serial === undefined) throw fail('expected a serial number in each revoked entry');
      revokedSerials.add(derIntegerHex(serial, fail));
    }
  }
  return {
    what,
    issuerDer: derBytes(expectTag(issuer, DER_TAG.sequence, fail, 'issuer')),
    thisUpdate: derTime(thisUpdate, fail, 'thisUpdate'),
    nextUpdate: derTime(nextUpdate, fail, 'nextUpdate'),
    revokedSerials,
    tbs: derBytes(tbs),
    signature,
  };
}

function pemCrlToDer(pem: string, fail: (message: string) => VerificationError): Buffer {
  const match = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(pem);
  if (match?.[1] === undefined) throw fail('expected a DER CRL or a PEM "X509 CRL" block');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

/** Checks the CRL is issued and signed by `issuer` and current at `now`. */
export function verifyCrl(crl: Crl, issuer: X509Fields, now: Date): void {
  if (!crl.issuerDer.equals(issuer.subjectDer)) {
    throw new VerificationError(
      TDX_ERROR.CRL_INVALID,
      `${crl.what}: expected issuer ${issuer.certificate.subject.replace(/\n/g, ', ')}, got another issuer name`,
    );
  }
  let valid: boolean;
  try {
    valid = verify('sha256', crl.tbs, issuer.certificate.publicKey, crl.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new VerificationError(TDX_ERROR.CRL_INVALID, `${crl.what}: signature does not verify under the issuer's key`);
  }
  if (now < crl.thisUpdate || now > crl.nextUpdate) {
    throw new VerificationError(
      TDX_ERROR.CRL_EXPIRED,
      `${crl.what}: expected to be current at ${now.toISOString()}, valid ${crl.thisUpdate.toISOString()}..${crl.nextUpdate.toISOString()}`,
    );
  }
}

/** Throws TDX_CERT_REVOKED when `cert` is listed in `crl`. */
export function checkNotRevoked(crl: Crl, cert: X509Fields, what: string): void {
  if (crl.revokedSerials.has(cert.serialHex)) {
    throw new VerificationError(
      TDX_ERROR.CERT_REVOKED,
      `${what} (serial ${cert.serialHex}) is revoked by the ${crl.what}`,
    );
  }
}

// Parsing an X.509 certificate costs about as much as an ECDSA verify, and every quote from a platform
// carries the same PCK chain. Parsed certificates are kept by their exact PEM text (bounded, LRU), and a
// successful signature check of a certificate under an issuer is remembered on the parsed objects:
// both are pure functions of the bytes, so a hit gives the same answer. Validity is still checked per call.
import type { X509Fields } from './x509-fields.js';

const MAX_ENTRIES = 256;
const parsed = new Map<string, X509Fields>();
const verifiedUnder = new WeakMap<X509Fields, WeakSet<X509Fields>>();

export function cachedCertificate(pem: string, parse: () => X509Fields): X509Fields {
  const hit = parsed.get(pem);
  if (hit !== undefined) {
    parsed.delete(pem);
    parsed.set(pem, hit);
    return hit;
  }
  const fields = parse();
  parsed.set(pem, fields);
  if (parsed.size > MAX_ENTRIES) {
    const oldest = parsed.keys().next().value;
    if (oldest !== undefined) parsed.delete(oldest);
  }
  return fields;
}

export function signatureVerifiedBefore(cert: X509Fields, issuer: X509Fields): boolean {
  return verifiedUnder.get(cert)?.has(issuer) ?? false;
}

export function rememberSignatureVerified(cert: X509Fields, issuer: X509Fields): void {
  let issuers = verifiedUnder.get(cert);
  if (issuers === undefined) {
    issuers = new WeakSet();
    verifiedUnder.set(cert, issuers);
  }
  issuers.add(issuer);
}

/** Forgets every parsed certificate (benchmarks measure the cold path with it). */
export function clearCertificateCache(): void {
  parsed.clear();
}

// X.509 path building for TPM trust anchors (EK certificates, AK certificates): leaf → intermediates →
// one of the configured roots, every signature and validity period checked at the injected time `now`.
import { X509Certificate } from 'node:crypto';
import { VerificationError } from '../../errors.js';

/** Longest path we build (leaf + intermediates); real TPM vendor chains have 2-4 certificates. */
const MAX_CHAIN_LENGTH = 6;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** Parses one certificate given as DER bytes or PEM text; `code` is the error code for the caller's context. */
export function parseCertificate(value: Uint8Array | string, code: string, what: string): X509Certificate {
  try {
    return new X509Certificate(typeof value === 'string' ? value : Buffer.from(value));
  } catch {
    const found = typeof value === 'string' ? `${value.length} chars of text` : `${value.length} bytes`;
    throw new VerificationError(
      code,
      `${what} expected a DER or PEM X.509 certificate, got ${found} that do not parse`,
    );
  }
}

/** Parsed trust bundles by PEM text: roots are configured once and used for every verification. */
const bundleCache = new Map<string, readonly X509Certificate[]>();
const BUNDLE_CACHE_SIZE = 64;

/** Splits a PEM bundle into certificates (in order); an empty or unparsable bundle is an error. */
export function parseCertificateBundle(pem: string, code: string, what: string): readonly X509Certificate[] {
  const cached = bundleCache.get(pem);
  if (cached !== undefined) return cached;
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new VerificationError(code, `${what} expected PEM certificates, got none`);
  const parsed = Object.freeze(blocks.map((block, i) => parseCertificate(block, code, `${what}[${i}]`)));
  if (bundleCache.size >= BUNDLE_CACHE_SIZE) bundleCache.clear();
  bundleCache.set(pem, parsed);
  return parsed;
}

export interface ChainInput {
  readonly leaf: X509Certificate;
  readonly intermediates: readonly X509Certificate[];
  readonly roots: readonly X509Certificate[];
  readonly now: Date;
  /** Error code for every failure (e.g. TPM_EK_CHAIN_INVALID). */
  readonly code: string;
  /** Names the certificate in messages, e.g. "EK certificate". */
  readonly what: string;
}

function subjectOf(cert: X509Certificate): string {
  const cn = /CN=([^\n]*)/.exec(cert.subject)?.[1];
  return cn === undefined || cn === '' ? `serial ${cert.serialNumber}` : `CN=${cn}`;
}

function checkValidity(cert: X509Certificate, now: Date, code: string, label: string): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from || now > to) {
    throw new VerificationError(
      code,
      `${label} (${subjectOf(cert)}) expected valid at ${now.toISOString()}, got validity ${from.toISOString()} to ${to.toISOString()}`,
    );
  }
}

function issues(issuer: X509Certificate, child: X509Certificate): boolean {
  // checkIssued compares names and key identifiers; the signature check is what proves it.
  return issuer.ca && child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

/** Returns the verified path leaf-first, ending with the trusted root; throws VerificationError(code) otherwise. */
export function verifyCertificateChain(input: ChainInput): X509Certificate[] {
  const { leaf, intermediates, roots, now, code, what } = input;
  if (roots.length === 0) throw new VerificationError(code, `${what} expected at least 1 trusted root, got 0`);
  checkValidity(leaf, now, code, what);
  const path = [leaf];
  let current = leaf;
  while (path.length <= MAX_CHAIN_LENGTH) {
    const root = roots.find((candidate) => issues(candidate, current));
    if (root !== undefined) {
      checkValidity(root, now, code, `${what} root`);
      path.push(root);
      return path;
    }
    const next = intermediates.find((candidate) => !path.includes(candidate) && issues(candidate, current));
    if (next === undefined) break;
    checkValidity(next, now, code, `${what} intermediate`);
    path.push(next);
    current = next;
  }
  throw new VerificationError(
    code,
    `${what} expected a chain to one of ${roots.length} trusted root(s), got none: no issuer for ${subjectOf(current)} ` +
      `among ${intermediates.length} intermediate(s)`,
  );
}

// Verifies an Intel certificate chain (leaf first) up to the trusted Intel SGX Root CA: each link's
// issuer name and signature, CA flags, and every certificate's validity at `now`.
import { X509Certificate } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { cachedCertificate, rememberSignatureVerified, signatureVerifiedBefore } from './certificate-cache.js';
import { TDX_ERROR, type TdxErrorCode } from './tdx-error-codes.js';
import { pemCertificates, readX509Fields, type X509Fields } from './x509-fields.js';

export interface ChainOptions {
  /** What the chain is, for messages: "PCK certificate chain", "TCB signing chain". */
  readonly what: string;
  /** Code for a broken chain; validity failures are always TDX_CERT_EXPIRED. */
  readonly code: TdxErrorCode;
  readonly now: Date;
}

/** Parses a PEM bundle into certificates and their fields; unparsable input raises `options.code`. */
export function parseCertificateChain(pem: string, options: Pick<ChainOptions, 'what' | 'code'>): X509Fields[] {
  const fail = (message: string): VerificationError =>
    new VerificationError(options.code, `${options.what}: ${message}`);
  const blocks = pemCertificates(pem);
  if (blocks === undefined) throw fail('expected only PEM certificate blocks, got other or damaged text');
  if (blocks.length === 0) throw fail('expected at least one PEM certificate, got none');
  return blocks.map((block, index) =>
    cachedCertificate(block, () => {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(block);
      } catch (error) {
        throw new VerificationError(options.code, `${options.what}: certificate ${index} does not parse`, {
          cause: error,
        });
      }
      return readX509Fields(certificate, fail);
    }),
  );
}

/** Checks each certificate's validity window at `now` (TDX_CERT_EXPIRED). */
export function checkValidity(certificates: readonly X509Fields[], what: string, now: Date): void {
  for (const cert of certificates) {
    if (now < cert.notBefore || now > cert.notAfter) {
      const relation =
        now < cert.notBefore ? `before ${cert.notBefore.toISOString()}` : `after ${cert.notAfter.toISOString()}`;
      throw new VerificationError(
        TDX_ERROR.CERT_EXPIRED,
        `${what}: certificate "${cert.certificate.subject.replace(/\n/g, ', ')}" has expired or is not yet valid: current time ${now.toISOString()} is ${relation}`,
      );
    }
  }
}

/**
 * Verifies `chain` (leaf first; it may or may not end with the root) against `trustedRoot`.
 * Returns the full chain ending with the trusted root.
 */
export function verifyCertificateChain(
  chain: readonly X509Fields[],
  trustedRoot: X509Fields,
  options: ChainOptions,
): X509Fields[] {
  const fail = (message: string): VerificationError =>
    new VerificationError(options.code, `${options.what}: ${message}`);
  const last = chain[chain.length - 1];
  if (last === undefined) throw fail('expected at least one certificate, got none');
  const full = last.certificate.raw.equals(trustedRoot.certificate.raw) ? [...chain] : [...chain, trustedRoot];
  if (full.length < 2) throw fail('expected a certificate issued by the root, got only the root');
  // The root itself is trusted by configuration; its self-signature proves nothing more.
  for (const [index, cert] of full.slice(0, -1).entries()) {
    const issuer = full[index + 1] ?? trustedRoot;
    const name = `certificate ${index} (${cert.certificate.subject.replace(/\n/g, ', ')})`;
    if (index > 0 && !cert.certificate.ca) throw fail(`expected ${name} to be a CA certificate`);
    if (!cert.issuerDer.equals(issuer.subjectDer))
      throw fail(`${name} is not issued by ${issuer.certificate.subject.replace(/\n/g, ', ')}`);
    if (!signatureVerifiedBefore(cert, issuer)) {
      if (!cert.certificate.verify(issuer.certificate.publicKey)) {
        throw fail(`signature of ${name} does not verify under its issuer's key`);
      }
      rememberSignatureVerified(cert, issuer);
    }
  }
  checkValidity(full, options.what, options.now);
  return full;
}

// Resolves the trust anchor: the shipped Intel SGX Root CA unless the caller passes another PEM.
import { X509Certificate } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { cachedCertificate } from './certificate-cache.js';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-sgx-root-ca.js';
import { TDX_ERROR } from './tdx-error-codes.js';
import { readX509Fields, type X509Fields } from './x509-fields.js';
import { invalidArgument } from '../../errors.js';

let shippedRoot: X509Fields | undefined;

function fail(message: string): VerificationError {
  return new VerificationError(TDX_ERROR.PCK_CHAIN_INVALID, `trusted root: ${message}`);
}

export function resolveTrustedRoot(pem?: string): X509Fields {
  if (pem === undefined) {
    shippedRoot ??= readX509Fields(new X509Certificate(INTEL_SGX_ROOT_CA_PEM), fail);
    return shippedRoot;
  }
  return cachedCertificate(pem, () => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      throw invalidArgument('trustedRoot', 'a PEM certificate', pem);
    }
    return readX509Fields(certificate, fail);
  });
}

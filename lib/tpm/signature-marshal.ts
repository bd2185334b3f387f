// TPMT_SIGNATURE bytes from raw signature values (raw RSA signatures such as Azure's, synthetic quotes).
import { TpmWriter } from './tpm-writer.js';
import type { TpmtSignature } from './signature.js';

export function marshalSignature(signature: TpmtSignature): Buffer {
  const w = new TpmWriter().u16(signature.sigAlg).u16(signature.hashAlg);
  if (signature.kind === 'rsa') return w.sized(signature.sig).toBuffer();
  if (signature.kind === 'ecc') return w.sized(signature.r).sized(signature.s).toBuffer();
  return w.raw(signature.digest).toBuffer();
}

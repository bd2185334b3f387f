// The value every piece of evidence must carry (TPM qualifying data, SNP/TDX report data): it ties the
// evidence to one verifier's fresh nonce and to the channel key it is presented over (DESIGN.md §3, §4).
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../errors.js';

/** Domain label, so a binding can never be confused with a hash computed for another purpose. */
export const BINDING_DOMAIN = 'constellation-attestation-v1';

/** Smallest nonce we accept: 16 bytes, so a replayed or guessed nonce is out of reach. */
export const MIN_NONCE_LENGTH = 16;

/**
 * SHA-256("constellation-attestation-v1" ‖ nonce ‖ binding), 32 bytes.
 * Issuers put it into the quote's qualifying data / the report data; verifiers recompute it.
 */
export function computeBinding(nonce: Uint8Array, binding: Uint8Array): Buffer {
  if (!(nonce instanceof Uint8Array) || nonce.length < MIN_NONCE_LENGTH) {
    throw invalidArgument('nonce', `at least ${MIN_NONCE_LENGTH} bytes`, nonce);
  }
  if (!(binding instanceof Uint8Array)) throw invalidArgument('binding', 'bytes (the channel public key)', binding);
  // Length-prefix the nonce so that (nonce, binding) pairs cannot be re-split into another valid pair.
  const nonceLength = Buffer.alloc(4);
  nonceLength.writeUInt32BE(nonce.length);
  return createHash('sha256').update(BINDING_DOMAIN).update(nonceLength).update(nonce).update(binding).digest();
}

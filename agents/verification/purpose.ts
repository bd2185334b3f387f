// What a VerificationService document is for, and the nonces it accepts. The purpose label takes the place of a
// channel key in computeBinding: the service answers over plain HTTP or a TLS channel the verifier did not pin, so
// the quote is bound to (nonce, "this is a verification-service answer") instead. A verifier that expects any other
// binding (a join's channel key, an aTLS SPKI) recomputes a different qualifying data and rejects the document, so a
// document fetched here can never be replayed into a join or an attested channel.
import { invalidArgument } from '../../lib/errors.js';

/** The binding every document of this service carries: computeBinding(nonce, PURPOSE_LABEL). */
export const PURPOSE_LABEL: Buffer = Buffer.from('constellation-verification-service-v1');

/** Nonce bounds: at least 16 bytes so it cannot be guessed; at most 64 (TPM2B_DATA qualifying data limit). */
export const MIN_NONCE_BYTES = 16;
export const MAX_NONCE_BYTES = 64;

/** Checks a binary nonce (gRPC) against the bounds. */
export function checkNonce(nonce: unknown): Buffer {
  if (!(nonce instanceof Uint8Array) || nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES) {
    throw invalidArgument('nonce', `${MIN_NONCE_BYTES}..${MAX_NONCE_BYTES} bytes`, nonce);
  }
  return Buffer.from(nonce);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Parses a hex nonce (HTTP query) and checks the bounds. */
export function parseHexNonce(text: string | undefined): Buffer {
  const expected = `hex of ${MIN_NONCE_BYTES}..${MAX_NONCE_BYTES} bytes`;
  if (text === undefined || text.length > MAX_NONCE_BYTES * 2 || !HEX.test(text)) {
    throw invalidArgument('nonce', expected, text);
  }
  return checkNonce(Buffer.from(text, 'hex'));
}

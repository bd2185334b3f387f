// Signing and verifying measurements files. verifyMeasurements reads only the envelope (the signature object)
// before the signature has been checked against a trusted key; the content is interpreted afterwards, so an
// unsigned or forged file never reaches the validation (or the policy) at all.
import { sign, verify, type KeyObject } from 'node:crypto';
import { InputError, VerificationError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import {
  MEASUREMENTS_ERROR_CODES,
  validateMeasurements,
  type Measurements,
  type SignedMeasurements,
} from './measurements.js';
import { checkReleaseKey, releaseKeyId } from './release-key.js';

const { MEASUREMENTS_INVALID, MEASUREMENTS_UNSIGNED, MEASUREMENTS_SIGNATURE_INVALID, MEASUREMENTS_UNTRUSTED_KEY } =
  MEASUREMENTS_ERROR_CODES;
/** A measurements file is a few KiB; anything much larger is not one. */
export const MAX_MEASUREMENTS_BYTES = 1024 * 1024;
const SIGNATURE_KEYS = ['algorithm', 'keyId', 'value'];
const KEY_ID = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ED25519_SIGNATURE_BYTES = 64;

/** Signs `measurements` (validated first; an existing signature is replaced) with an Ed25519 private key. */
export function signMeasurements(measurements: Measurements, privateKey: KeyObject): SignedMeasurements {
  const key = checkReleaseKey(privateKey, 'private', 'privateKey');
  const { signature: _previous, ...content } = measurements as Measurements & { signature?: unknown };
  const valid = validateMeasurements(content, 'the measurements to sign');
  const value = sign(null, Buffer.from(canonicalJson(valid, MEASUREMENTS_INVALID)), key).toString('base64');
  return { ...valid, signature: { algorithm: 'ed25519', keyId: releaseKeyId(key), value } };
}

/** The file text: indented JSON and a final newline (the signature covers the canonical form, not this text). */
export function encodeMeasurements(signed: SignedMeasurements): string {
  return `${JSON.stringify(signed, null, 2)}\n`;
}

/**
 * Verifies a measurements file against the trusted release keys and returns its content.
 * InputError MEASUREMENTS_INVALID: not JSON, a malformed signature object, or (after the signature verified)
 * content that is not v1 measurements. VerificationError MEASUREMENTS_UNSIGNED / MEASUREMENTS_UNTRUSTED_KEY /
 * MEASUREMENTS_SIGNATURE_INVALID: no signature, a key not in `trustedKeys`, a signature that does not verify.
 */
export function verifyMeasurements(
  bytes: Buffer,
  trustedKeys: readonly KeyObject[],
  source = 'the measurements file',
): Measurements {
  const keys = trustedKeys.map((key, i) => checkReleaseKey(key, 'public', `trustedKeys[${i}]`));
  const envelope = parseEnvelope(bytes, source);
  const { signature, ...content } = envelope;
  if (signature === undefined) {
    throw new VerificationError(
      MEASUREMENTS_UNSIGNED,
      `Expected a signed measurements file in ${source}, found no "signature"; use the measurements file published with the image, never an edited copy`,
    );
  }
  const { keyId, value } = parseSignature(signature, source);
  const key = keys.find((candidate) => releaseKeyId(candidate) === keyId);
  if (key === undefined) {
    throw new VerificationError(
      MEASUREMENTS_UNTRUSTED_KEY,
      `Expected ${source} signed by a trusted release key (${keys.length === 0 ? 'none given' : keys.map(releaseKeyId).join(', ')}), found key ${keyId}; pass the release key of the image's publisher`,
    );
  }
  if (!verify(null, Buffer.from(canonicalJson(content, MEASUREMENTS_INVALID)), key, value)) {
    throw new VerificationError(
      MEASUREMENTS_SIGNATURE_INVALID,
      `Expected a valid Ed25519 signature by key ${keyId} over ${source}, found one that does not verify; the file was changed after signing`,
    );
  }
  return validateMeasurements(content, source);
}

function parseEnvelope(bytes: Buffer, source: string): Record<string, unknown> & { signature?: unknown } {
  if (!Buffer.isBuffer(bytes)) throw new InputError(MEASUREMENTS_INVALID, `Expected the bytes of ${source}`);
  if (bytes.length > MAX_MEASUREMENTS_BYTES) {
    throw new InputError(
      MEASUREMENTS_INVALID,
      `Expected at most ${MAX_MEASUREMENTS_BYTES} bytes in ${source}, found ${bytes.length}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InputError(
      MEASUREMENTS_INVALID,
      `Expected JSON in ${source}, found a parse error (${(error as Error).message})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(MEASUREMENTS_INVALID, `Expected a JSON object in ${source}, found another JSON value`);
  }
  return value as Record<string, unknown>;
}

function parseSignature(signature: unknown, source: string): { keyId: string; value: Buffer } {
  const fail = (found: string): InputError =>
    new InputError(
      MEASUREMENTS_INVALID,
      `Expected "signature" in ${source} to be {"algorithm": "ed25519", "keyId": <64 hex>, "value": <base64>}, found ${found}`,
    );
  if (typeof signature !== 'object' || signature === null || Array.isArray(signature)) throw fail('another value');
  const fields = signature as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !SIGNATURE_KEYS.includes(key));
  if (unknown.length > 0) throw fail(`unknown key(s) ${unknown.join(', ')}`);
  if (fields['algorithm'] !== 'ed25519') throw fail(`algorithm ${JSON.stringify(fields['algorithm'])}`);
  const keyId = fields['keyId'];
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) throw fail('a keyId that is not 64 lowercase hex chars');
  const text = fields['value'];
  if (typeof text !== 'string' || !BASE64.test(text)) throw fail('a value that is not base64');
  const value = Buffer.from(text, 'base64');
  if (value.length !== ED25519_SIGNATURE_BYTES) {
    throw new VerificationError(
      MEASUREMENTS_SIGNATURE_INVALID,
      `Expected a ${ED25519_SIGNATURE_BYTES}-byte Ed25519 signature in ${source}, found ${value.length} bytes`,
    );
  }
  return { keyId, value };
}

// Intel PCS signs the exact bytes of the "tcbInfo" / "enclaveIdentity" value as served, so we locate
// that value's byte span in the response instead of re-serializing. Duplicate top-level keys are
// refused: JSON.parse keeps the last one, which could differ from the span that was signed.
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';

export interface SignedCollateralJson {
  /** The signed value, parsed from exactly `signedBytes`. */
  readonly value: unknown;
  readonly signedBytes: Buffer;
  /** ECDSA P-256 r‖s. */
  readonly signature: Buffer;
}

const MAX_COLLATERAL_BYTES = 1 << 20;

function fail(what: string, message: string): VerificationError {
  return new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${what}: ${message}`);
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Byte spans of the top-level object's values, by key. Assumes `bytes` already passed JSON.parse. */
function topLevelSpans(bytes: Buffer, what: string): Map<string, [number, number]> {
  let i = 0;
  const skipWhitespace = (): void => {
    while (i < bytes.length && WHITESPACE.has(bytes[i] ?? 0)) i++;
  };
  const skipString = (): void => {
    i++; // opening quote
    while (i < bytes.length && bytes[i] !== 0x22) i += bytes[i] === 0x5c ? 2 : 1;
    i++; // closing quote
  };
  const skipValue = (): void => {
    let depth = 0;
    while (i < bytes.length) {
      const c = bytes[i];
      if (c === 0x22) {
        skipString();
        if (depth === 0) return;
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) return;
        depth--;
        if (depth === 0) {
          i++;
          return;
        }
      } else if (depth === 0 && (c === 0x2c || WHITESPACE.has(c ?? 0))) return;
      i++;
    }
  };

  const spans = new Map<string, [number, number]>();
  skipWhitespace();
  if (bytes[i] !== 0x7b) throw fail(what, 'expected a JSON object');
  i++;
  for (;;) {
    skipWhitespace();
    if (bytes[i] === 0x7d) break;
    const keyStart = i;
    skipString();
    const key = JSON.parse(bytes.subarray(keyStart, i).toString('utf8')) as string;
    skipWhitespace();
    i++; // colon
    skipWhitespace();
    const valueStart = i;
    skipValue();
    if (spans.has(key)) throw fail(what, `expected each top-level key once, got "${key}" twice`);
    spans.set(key, [valueStart, i]);
    skipWhitespace();
    if (bytes[i] === 0x2c) i++;
  }
  return spans;
}

/** Parses a PCS response `{ "<field>": {...}, "signature": "<hex r‖s>" }`. Errors → TDX_COLLATERAL_INVALID. */
export function parseSignedCollateralJson(
  response: Uint8Array | string,
  field: 'tcbInfo' | 'enclaveIdentity',
): SignedCollateralJson {
  const what = field === 'tcbInfo' ? 'TCB Info' : 'QE Identity';
  const bytes = typeof response === 'string' ? Buffer.from(response, 'utf8') : Buffer.from(response);
  if (bytes.length > MAX_COLLATERAL_BYTES) throw fail(what, `expected at most 1 MiB, got ${bytes.length} bytes`);
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${what}: expected JSON`, { cause: error });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw fail(what, 'expected a JSON object');
  }
  const signatureHex = (document as Record<string, unknown>).signature;
  if (typeof signatureHex !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signatureHex)) {
    throw fail(what, 'expected "signature" of 128 hex digits (ECDSA P-256 r‖s)');
  }
  const span = topLevelSpans(bytes, what).get(field);
  if (span === undefined) throw fail(what, `expected a "${field}" object`);
  const signedBytes = bytes.subarray(span[0], span[1]);
  const value: unknown = JSON.parse(signedBytes.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(what, `expected "${field}" to be an object`);
  }
  return { value, signedBytes, signature: Buffer.from(signatureHex, 'hex') };
}

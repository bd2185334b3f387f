// The bytes a measurements signature covers: JSON with object keys sorted (UTF-16 code unit order, as
// Array.prototype.sort) and no whitespace, so any writer's formatting of the same value signs the same.
import { InputError } from '../errors.js';

/** Deeper nesting than this is no measurements file; it would only exhaust the stack. */
const MAX_DEPTH = 16;

/** Canonical JSON text of a parsed JSON value; `code` is the InputError code for values JSON cannot hold. */
export function canonicalJson(value: unknown, code: string): string {
  return encode(value, 0, code);
}

function encode(value: unknown, depth: number, code: string): string {
  if (depth > MAX_DEPTH) throw new InputError(code, `Expected JSON nested at most ${MAX_DEPTH} deep, found deeper`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InputError(code, `Expected a finite JSON number, found ${String(value)}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => encode(item, depth + 1, code)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${encode(item, depth + 1, code)}`).join(',')}}`;
  }
  throw new InputError(code, `Expected a JSON value, found a value of type ${typeof value}`);
}

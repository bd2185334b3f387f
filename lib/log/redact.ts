// What a log line may show of a field: byte strings never (they are keys, secrets or evidence), fields named like
// secrets never, errors as name/code/message only. Applied to every field of every line, whatever the transport.

export const REDACTED = '[redacted]';
export const BYTES = '[bytes]';
const MAX_DEPTH = 4;

/** Field names that hold secrets: …secret…, …token…, …password…, …private…, …credential…, or ending in key/Key. */
export function isSecretFieldName(name: string): boolean {
  return (
    /secret|token|passw|private|credential/i.test(name) || /(?:^|[_\-.])key$/i.test(name) || /[a-z0-9]Key$/.test(name)
  );
}

/** A copy of `value` that is safe to print. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (
    Buffer.isBuffer(value) ||
    value instanceof Uint8Array ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  ) {
    return BYTES;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
  if (typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, ...(typeof code === 'string' ? { code } : {}), message: value.message };
  }
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[object]';
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, depth + 1));
  return redactFields(value as Record<string, unknown>, depth + 1);
}

/** Redacts each field by name, then by value. */
export function redactFields(fields: Readonly<Record<string, unknown>>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = isSecretFieldName(name) ? REDACTED : redactValue(value, depth);
  }
  return out;
}

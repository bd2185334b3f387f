// One error hierarchy for the whole suite. Every error has a stable `code` (SCREAMING_SNAKE)
// that tests, exit codes and gRPC status mapping rely on. Messages say what was expected and
// what was found, never secret values.

export interface ErrorOptions {
  readonly cause?: unknown;
}

/** Base of every error this project throws on purpose. */
export class ConstellationError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The evidence is broken: bad signature, bad structure, chain does not verify, replay mismatch. */
export class VerificationError extends ConstellationError {}

/** The evidence verified, but the verified state is not acceptable under the policy. */
export class PolicyError extends ConstellationError {
  /** Every violation found, each a human-readable line such as `PCR[4] (sha256) expected 3d45…, got 9a1c…`. */
  readonly violations: readonly string[];

  constructor(code: string, message: string, violations: readonly string[] = [message], options?: ErrorOptions) {
    super(code, message, options);
    this.violations = violations;
  }
}

/** Input from a user, a file or a peer does not have the expected shape (`Expected X for Y but received Z`). */
export class InputError extends ConstellationError {}

/** The TPM (or the native layer talking to it) failed. `rc` is the TSS2 response code when there is one. */
export class TpmError extends ConstellationError {
  readonly rc: number | undefined;
  readonly rcText: string | undefined;

  constructor(code: string, message: string, details: { rc?: number; rcText?: string } = {}, options?: ErrorOptions) {
    super(code, message, options);
    this.rc = details.rc;
    this.rcText = details.rcText;
  }
}

/** Describes a value for an error message without echoing large or secret contents. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array)
    return `${value.constructor.name} of ${value.length} bytes`;
  if (Array.isArray(value)) {
    const shown = value.length <= 8 ? JSON.stringify(value) : `array of ${value.length} items`;
    return `${shown} of type array`;
  }
  if (typeof value === 'string')
    return value.length <= 64 ? `"${value}" of type string` : `string of ${value.length} chars`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} of type ${typeof value}`;
  }
  return `value of type ${typeof value}`;
}

/** `Expected <what> for <name> but received <value>` as an InputError with code INVALID_ARGUMENT. */
export function invalidArgument(name: string, expected: string, value: unknown): InputError {
  return new InputError('INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${describeValue(value)}`);
}

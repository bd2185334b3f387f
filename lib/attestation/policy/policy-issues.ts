// Collects every problem found while parsing a policy, each with the JSON path it refers to, so that the
// admin sees all of them at once (Talos-style `Validate()`), then raises one InputError('POLICY_INVALID').
import { InputError } from '../../errors.js';

export const POLICY_INVALID = 'POLICY_INVALID';

/** An InputError that also lists each problem as `<path>: <what was expected>, got <what was found>`. */
export class PolicyInvalidError extends InputError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    const list = issues.map((issue) => `  ${issue}`).join('\n');
    super(POLICY_INVALID, `policy is invalid in ${issues.length} place(s):\n${list}`);
    this.issues = issues;
  }
}

export class PolicyIssues {
  readonly #issues: string[] = [];

  add(path: string, problem: string): void {
    this.#issues.push(`${path === '' ? '.' : path}: ${problem}`);
  }

  get count(): number {
    return this.#issues.length;
  }

  throwIfAny(): void {
    if (this.#issues.length > 0) throw new PolicyInvalidError([...this.#issues]);
  }
}

/** How a JSON value is named in an issue (never echoes long strings). */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return value.length <= 32 ? JSON.stringify(value) : `a string of ${value.length} chars`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports keys of `value` that are not in `allowed`. */
export function rejectUnknownKeys(
  issues: PolicyIssues,
  path: string,
  value: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) issues.add(`${path}.${key}`, `unknown key (expected one of ${allowed.join(', ')})`);
  }
}

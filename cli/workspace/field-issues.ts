// Collects every problem of a workspace file with the field path it refers to, so one run shows all of them,
// then raises one InputError naming the file. Messages describe values by kind, never by secret content.
import { InputError } from '../../lib/errors.js';
import { describeJson, isJsonObject } from '../../lib/attestation/policy/policy-issues.js';

export { describeJson, isJsonObject };

export class FieldIssues {
  readonly #issues: string[] = [];

  constructor(
    private readonly code: string,
    private readonly source: string,
  ) {}

  /** `path` like `attestation.variant`; `problem` like `expected "qemu-vtpm", found "tdx"`. */
  add(path: string, problem: string): void {
    this.#issues.push(`${path === '' ? '(top level)' : path}: ${problem}`);
  }

  get list(): readonly string[] {
    return this.#issues;
  }

  throwIfAny(): void {
    if (this.#issues.length === 0) return;
    const list = this.#issues.map((issue) => `  ${issue}`).join('\n');
    throw new InputError(this.code, `${this.source} is invalid in ${this.#issues.length} place(s):\n${list}`);
  }

  /** Reports keys outside `allowed`; true when `value` is an object at all. */
  object(path: string, value: unknown, allowed: readonly string[]): value is Readonly<Record<string, unknown>> {
    if (!isJsonObject(value)) {
      this.add(path, `expected a mapping with keys ${allowed.join(', ')}, found ${describeJson(value)}`);
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.add(join(path, key), `unknown key (expected one of ${allowed.join(', ')})`);
      }
    }
    return true;
  }

  string(path: string, value: unknown, pattern: RegExp, expected: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.add(path, `expected ${expected}, found ${describeJson(value)}`);
      return '';
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.add(path, `expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, found ${describeJson(value)}`);
      return allowed[0] as T;
    }
    return value as T;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

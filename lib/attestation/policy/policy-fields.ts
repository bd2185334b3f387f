// Typed reads of one JSON object of a policy: each read reports a problem with its path instead of
// throwing, so that parsePolicy can list every problem at once. Absent keys return undefined.
import { describeJson, isJsonObject, type PolicyIssues, rejectUnknownKeys } from './policy-issues.js';

const HEX = /^[0-9a-fA-F]*$/;

export class PolicyFields {
  constructor(
    private readonly issues: PolicyIssues,
    readonly path: string,
    private readonly value: Readonly<Record<string, unknown>>,
    allowedKeys: readonly string[],
  ) {
    rejectUnknownKeys(issues, path, value, allowedKeys);
  }

  /** Reads `key` as an object section, or reports it; undefined when absent or wrong. */
  static of(
    issues: PolicyIssues,
    path: string,
    value: unknown,
    allowedKeys: readonly string[],
  ): PolicyFields | undefined {
    if (!isJsonObject(value)) {
      issues.add(path, `expected an object, got ${describeJson(value)}`);
      return undefined;
    }
    return new PolicyFields(issues, path, value, allowedKeys);
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  /** Reports `key` as required but absent or unusable. */
  invalid(key: string, expected: string): void {
    this.issues.add(`${this.path}.${key}`, `expected ${expected}, got ${describeJson(this.value[key])}`);
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  boolean(key: string): boolean | undefined {
    const value = this.value[key];
    if (value === undefined || typeof value === 'boolean') return value;
    this.issues.add(`${this.path}.${key}`, `expected true or false, got ${describeJson(value)}`);
    return undefined;
  }

  integer(key: string, max: number): number | undefined {
    return this.integerAt(`${this.path}.${key}`, this.value[key], max);
  }

  integerAt(path: string, value: unknown, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
    this.issues.add(path, `expected an integer 0-${max}, got ${describeJson(value)}`);
    return undefined;
  }

  bytes(key: string, size: number): Buffer | undefined {
    return this.bytesAt(`${this.path}.${key}`, this.value[key], size);
  }

  bytesAt(path: string, value: unknown, size: number): Buffer | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.issues.add(path, `expected a hex string, got ${describeJson(value)}`);
    else if (!HEX.test(value)) this.issues.add(path, `expected hex digits, got ${describeJson(value)}`);
    else if (value.length !== size * 2) this.issues.add(path, `expected ${size * 2} hex chars, got ${value.length}`);
    else return Buffer.from(value, 'hex');
    return undefined;
  }

  bytesList(key: string, size: number): Buffer[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) {
      this.issues.add(`${this.path}.${key}`, `expected a non-empty array of hex strings, got ${describeJson(value)}`);
      return undefined;
    }
    const out: Buffer[] = [];
    value.forEach((item: unknown, i) => {
      const bytes = this.bytesAt(`${this.path}.${key}[${i}]`, item, size);
      if (bytes !== undefined) out.push(bytes);
    });
    return out.length === value.length ? out : undefined;
  }

  choices<T extends string>(key: string, allowed: readonly T[]): T[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) {
      this.issues.add(
        `${this.path}.${key}`,
        `expected a non-empty array of ${allowed.join(' | ')}, got ${describeJson(value)}`,
      );
      return undefined;
    }
    const out: T[] = [];
    value.forEach((item: unknown, i) => {
      const match = allowed.find((candidate) => candidate === item);
      if (match === undefined) {
        this.issues.add(
          `${this.path}.${key}[${i}]`,
          `expected one of ${allowed.join(', ')}, got ${describeJson(item)}`,
        );
      } else out.push(match);
    });
    return out.length === value.length ? out : undefined;
  }

  strings(key: string): string[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      !value.every((item) => typeof item === 'string' && item !== '')
    ) {
      this.issues.add(
        `${this.path}.${key}`,
        `expected a non-empty array of non-empty strings, got ${describeJson(value)}`,
      );
      return undefined;
    }
    return value as string[];
  }

  section(key: string, allowedKeys: readonly string[]): PolicyFields | undefined {
    const value = this.value[key];
    return value === undefined ? undefined : PolicyFields.of(this.issues, `${this.path}.${key}`, value, allowedKeys);
  }

  /** A u64 given as a decimal or 0x-hex string (JSON numbers cannot hold 64 bits exactly). */
  u64(key: string): bigint | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && /^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(value)) {
      const parsed = BigInt(value);
      if (parsed < 1n << 64n) return parsed;
    }
    this.issues.add(
      `${this.path}.${key}`,
      `expected a 64-bit integer as a decimal or 0x-hex string, got ${describeJson(value)}`,
    );
    return undefined;
  }
}

/** Copies only the defined entries, so optional properties stay absent (exactOptionalPropertyTypes). */
export function definedOnly<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

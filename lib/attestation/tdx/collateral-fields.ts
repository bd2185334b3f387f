// Typed reads of PCS collateral JSON fields; any missing or mistyped field → TDX_COLLATERAL_INVALID
// naming the JSON path, so a truncated or hand-edited document never reaches TCB matching.
import { VerificationError } from '../../errors.js';
import { TDX_ERROR } from './tdx-error-codes.js';

export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;

export type TcbStatus = (typeof TCB_STATUSES)[number];

export class CollateralFields {
  constructor(
    private readonly what: string,
    private readonly path: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(what: string, value: unknown): CollateralFields {
    return new CollateralFields(what, '', CollateralFields.asObject(what, '', value));
  }

  private static asObject(what: string, path: string, value: unknown): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new VerificationError(TDX_ERROR.COLLATERAL_INVALID, `${what}: expected an object at ${path || '.'}`);
    }
    return value as Record<string, unknown>;
  }

  private fail(key: string, expected: string): VerificationError {
    return new VerificationError(
      TDX_ERROR.COLLATERAL_INVALID,
      `${this.what}: expected ${expected} at ${this.path}.${key}`,
    );
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  string(key: string): string {
    const value = this.value[key];
    if (typeof value !== 'string') throw this.fail(key, 'a string');
    return value;
  }

  integer(key: string): number {
    const value = this.value[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw this.fail(key, 'a non-negative integer');
    return value;
  }

  hex(key: string, bytes: number): Buffer {
    const value = this.value[key];
    if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
      throw this.fail(key, `${bytes} bytes of hex`);
    }
    return Buffer.from(value, 'hex');
  }

  date(key: string): Date {
    const value = this.value[key];
    const date =
      typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)
        ? new Date(value)
        : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) throw this.fail(key, 'an ISO 8601 UTC date');
    return date;
  }

  status(key: string): TcbStatus {
    const value = this.value[key];
    const found = TCB_STATUSES.find((s) => s === value);
    if (found === undefined) throw this.fail(key, `one of ${TCB_STATUSES.join(', ')}`);
    return found;
  }

  strings(key: string): string[] {
    const value = this.value[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      throw this.fail(key, 'an array of strings');
    return value;
  }

  object(key: string): CollateralFields {
    return new CollateralFields(
      this.what,
      `${this.path}.${key}`,
      CollateralFields.asObject(this.what, `${this.path}.${key}`, this.value[key]),
    );
  }

  objects(key: string): CollateralFields[] {
    const value = this.value[key];
    if (!Array.isArray(value)) throw this.fail(key, 'an array');
    return value.map(
      (item, index) =>
        new CollateralFields(
          this.what,
          `${this.path}.${key}[${index}]`,
          CollateralFields.asObject(this.what, `${this.path}.${key}[${index}]`, item),
        ),
    );
  }
}

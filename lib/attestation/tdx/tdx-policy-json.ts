// The `tdx` section of the policy JSON → TdxPolicy. Byte values are hex strings; TDATTRIBUTES/XFAM
// values and masks are u64 numbers written as "0x…" strings (JSON numbers lose bits above 2^53).
// Strict: unknown keys and malformed values are InputError INVALID_ARGUMENT naming the path.
import { invalidArgument } from '../../errors.js';
import { TCB_STATUSES, type TcbStatus } from './collateral-fields.js';
import type { TdxMaskedValue, TdxPolicy, TdxRtmrRule } from './tdx-policy.js';

const KEYS = [
  'mrTd',
  'rtmrs',
  'allowDebug',
  'tdAttributes',
  'xfam',
  'minimumTeeTcbSvn',
  'allowedTcbStatuses',
  'allowMissingCollateral',
  'mrConfigId',
  'mrOwner',
  'mrOwnerConfig',
  'reportData',
] as const;

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string, keys: readonly string[]): JsonObject {
  if (!isObject(value)) throw invalidArgument(path, 'an object', value);
  const unknown = Object.keys(value).find((key) => !keys.includes(key));
  if (unknown !== undefined) throw invalidArgument(`${path}.${unknown}`, `one of the keys ${keys.join(', ')}`, unknown);
  return value;
}

function bytes(value: unknown, path: string, size: number): Buffer {
  if (typeof value !== 'string' || value.length !== size * 2 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw invalidArgument(path, `${size} bytes of hex`, value);
  }
  return Buffer.from(value, 'hex');
}

function byteList(value: unknown, path: string, size: number): Buffer[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0)
    throw invalidArgument(path, `a non-empty array of ${size}-byte hex values`, value);
  return list.map((item, index) => bytes(item, `${path}[${index}]`, size));
}

function flag(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(path, 'a boolean', value);
  return value;
}

function u64(value: unknown, path: string): bigint {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw invalidArgument(path, 'a u64 as a "0x…" hex string or a safe integer', value);
}

function masked(value: unknown, path: string): TdxMaskedValue {
  const fields = object(value, path, ['mask', 'expected']);
  const expected = u64(fields.expected, `${path}.expected`);
  return fields.mask === undefined ? { expected } : { expected, mask: u64(fields.mask, `${path}.mask`) };
}

function rtmrs(value: unknown, path: string): NonNullable<TdxPolicy['rtmrs']> {
  const fields = object(value, path, ['0', '1', '2', '3']);
  const rules: Partial<Record<0 | 1 | 2 | 3, TdxRtmrRule>> = {};
  for (const index of [0, 1, 2, 3] as const) {
    const rule: unknown = fields[String(index)];
    if (rule === undefined) continue;
    const rulePath = `${path}.${index}`;
    const ruleFields = object(rule, rulePath, ['expected', 'mode']);
    const expected = byteList(ruleFields.expected, `${rulePath}.expected`, 48);
    const mode = ruleFields.mode;
    if (mode === undefined) rules[index] = { expected };
    else if (mode === 'enforce' || mode === 'warn') rules[index] = { expected, mode };
    else throw invalidArgument(`${rulePath}.mode`, '"enforce" or "warn"', mode);
  }
  return rules;
}

function statuses(value: unknown, path: string): TcbStatus[] {
  if (!Array.isArray(value)) throw invalidArgument(path, `an array of ${TCB_STATUSES.join(', ')}`, value);
  return value.map((item, index) => {
    const status = TCB_STATUSES.find((s) => s === item);
    if (status === undefined) throw invalidArgument(`${path}[${index}]`, `one of ${TCB_STATUSES.join(', ')}`, item);
    return status;
  });
}

/** Parses the JSON `tdx` policy section (as kept by parsePolicy) into a TdxPolicy. */
export function parseTdxPolicy(json: unknown, path = 'policy.tdx'): TdxPolicy {
  const fields = object(json, path, KEYS);
  const at = (key: string): string => `${path}.${key}`;
  return {
    ...(fields.mrTd === undefined ? {} : { mrTd: byteList(fields.mrTd, at('mrTd'), 48) }),
    ...(fields.rtmrs === undefined ? {} : { rtmrs: rtmrs(fields.rtmrs, at('rtmrs')) }),
    ...(fields.allowDebug === undefined ? {} : { allowDebug: flag(fields.allowDebug, at('allowDebug')) }),
    ...(fields.tdAttributes === undefined ? {} : { tdAttributes: masked(fields.tdAttributes, at('tdAttributes')) }),
    ...(fields.xfam === undefined ? {} : { xfam: masked(fields.xfam, at('xfam')) }),
    ...(fields.minimumTeeTcbSvn === undefined
      ? {}
      : { minimumTeeTcbSvn: bytes(fields.minimumTeeTcbSvn, at('minimumTeeTcbSvn'), 16) }),
    ...(fields.allowedTcbStatuses === undefined
      ? {}
      : { allowedTcbStatuses: statuses(fields.allowedTcbStatuses, at('allowedTcbStatuses')) }),
    ...(fields.allowMissingCollateral === undefined
      ? {}
      : { allowMissingCollateral: flag(fields.allowMissingCollateral, at('allowMissingCollateral')) }),
    ...(fields.mrConfigId === undefined ? {} : { mrConfigId: bytes(fields.mrConfigId, at('mrConfigId'), 48) }),
    ...(fields.mrOwner === undefined ? {} : { mrOwner: bytes(fields.mrOwner, at('mrOwner'), 48) }),
    ...(fields.mrOwnerConfig === undefined
      ? {}
      : { mrOwnerConfig: bytes(fields.mrOwnerConfig, at('mrOwnerConfig'), 48) }),
    ...(fields.reportData === undefined ? {} : { reportData: bytes(fields.reportData, at('reportData'), 64) }),
  };
}

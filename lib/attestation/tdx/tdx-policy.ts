// What a verified TDX state must look like to be accepted. Secure by default: a debuggable TD, a TCB
// status other than UpToDate and a state verified without collateral are refused unless the policy opts
// in, and each opt-in names its setting. Checks the policy leaves unset are reported as warnings.
import { invalidArgument } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { policyResult, type PolicyResult } from '../policy-result.js';
import { TCB_STATUSES, type TcbStatus } from './collateral-fields.js';
import type { VerifiedTdxState } from './quote-verifier.js';

export type TdxRtmrMode = 'enforce' | 'warn';

export interface TdxRtmrRule {
  /** Allowed values (48 bytes each); several during an upgrade. */
  readonly expected: readonly Uint8Array[];
  /** `warn` reports a mismatch as a warning only. Default `enforce`. */
  readonly mode?: TdxRtmrMode;
}

export interface TdxMaskedValue {
  /** Bits compared (of the little-endian u64 field). Default all bits. */
  readonly mask?: bigint;
  readonly expected: bigint;
}

export interface TdxPolicy {
  /** Allowed MRTD values (48 bytes each): the TD's initial memory image (firmware). */
  readonly mrTd?: readonly Uint8Array[];
  /** Expected RTMR0..3 values by index. */
  readonly rtmrs?: Readonly<Partial<Record<0 | 1 | 2 | 3, TdxRtmrRule>>>;
  /** Accept TDATTRIBUTES.DEBUG (bit 0): the host can read and change TD state. Default false. */
  readonly allowDebug?: boolean;
  /** Other TD attributes: (TDATTRIBUTES & mask) must equal expected. DEBUG is governed by allowDebug only. */
  readonly tdAttributes?: TdxMaskedValue;
  /** XFAM (extended features the TD may use): (XFAM & mask) must equal expected. */
  readonly xfam?: TdxMaskedValue;
  /** Minimum TEE_TCB_SVN, compared per byte (16 bytes). */
  readonly minimumTeeTcbSvn?: Uint8Array;
  /** Accepted TCB statuses of the platform and of the QE. Default ['UpToDate']. */
  readonly allowedTcbStatuses?: readonly TcbStatus[];
  /** Accept a state verified without collateral (no TCB status, no revocation check). Default false. */
  readonly allowMissingCollateral?: boolean;
  readonly mrConfigId?: Uint8Array;
  readonly mrOwner?: Uint8Array;
  readonly mrOwnerConfig?: Uint8Array;
  /** Expected REPORTDATA (64 bytes): the binding to the nonce and channel key. */
  readonly reportData?: Uint8Array;
}

const TD_ATTRIBUTE_DEBUG = 1n;
const U64_MAX = (1n << 64n) - 1n;

function requireBytes(value: unknown, name: string, size: number): void {
  if (!(value instanceof Uint8Array) || value.length !== size) throw invalidArgument(name, `${size} bytes`, value);
}

function requireMasked(value: TdxMaskedValue | undefined, name: string): void {
  if (value === undefined) return;
  for (const [key, bits] of [
    ['mask', value.mask],
    ['expected', value.expected],
  ] as const) {
    if (key === 'mask' && bits === undefined) continue;
    if (typeof bits !== 'bigint' || bits < 0n || bits > U64_MAX)
      throw invalidArgument(`${name}.${key}`, 'a u64 bigint', bits);
  }
}

function validatePolicy(policy: TdxPolicy): void {
  policy.mrTd?.forEach((value, index) => {
    requireBytes(value, `policy.tdx.mrTd[${index}]`, 48);
  });
  for (const [index, rule] of Object.entries(policy.rtmrs ?? {})) {
    if (!['0', '1', '2', '3'].includes(index)) throw invalidArgument('policy.tdx.rtmrs', 'indexes 0..3', index);
    if (!Array.isArray(rule.expected) || rule.expected.length === 0) {
      throw invalidArgument(
        `policy.tdx.rtmrs[${index}].expected`,
        'a non-empty array of 48-byte values',
        rule.expected,
      );
    }
    rule.expected.forEach((value, i) => {
      requireBytes(value, `policy.tdx.rtmrs[${index}].expected[${i}]`, 48);
    });
    const mode: unknown = rule.mode;
    if (mode !== undefined && mode !== 'enforce' && mode !== 'warn') {
      throw invalidArgument(`policy.tdx.rtmrs[${index}].mode`, '"enforce" or "warn"', mode);
    }
  }
  requireMasked(policy.tdAttributes, 'policy.tdx.tdAttributes');
  requireMasked(policy.xfam, 'policy.tdx.xfam');
  if (policy.minimumTeeTcbSvn !== undefined) requireBytes(policy.minimumTeeTcbSvn, 'policy.tdx.minimumTeeTcbSvn', 16);
  for (const status of policy.allowedTcbStatuses ?? []) {
    if (!TCB_STATUSES.includes(status))
      throw invalidArgument('policy.tdx.allowedTcbStatuses', `one of ${TCB_STATUSES.join(', ')}`, status);
  }
  for (const key of ['mrConfigId', 'mrOwner', 'mrOwnerConfig'] as const) {
    const value = policy[key];
    if (value !== undefined) requireBytes(value, `policy.tdx.${key}`, 48);
  }
  if (policy.reportData !== undefined) requireBytes(policy.reportData, 'policy.tdx.reportData', 64);
}

function u64(bytes: Buffer): bigint {
  return bytes.readBigUInt64LE(0);
}

function hex64(value: bigint): string {
  return `0x${value.toString(16).padStart(16, '0')}`;
}

function allowedText(allowed: readonly Uint8Array[]): string {
  return allowed.length === 1 ? shortHex(allowed[0] ?? new Uint8Array()) : `one of ${allowed.length} allowed values`;
}

/** Applies `policy` to a verified TDX state; returns every violation and warning (never throws for evidence). */
export function evaluateTdxPolicy(state: VerifiedTdxState, policy: TdxPolicy): PolicyResult {
  validatePolicy(policy);
  const violations: string[] = [];
  const warnings: string[] = [];
  const body = state.quote.body;

  // Platform TCB.
  const allowed = policy.allowedTcbStatuses ?? ['UpToDate'];
  if (!state.collateralChecked) {
    (policy.allowMissingCollateral === true ? warnings : violations).push(
      'TDX TCB status expected to be checked against Intel collateral, got a quote verified without collateral (set policy.tdx.allowMissingCollateral=true to accept)',
    );
  } else {
    for (const [what, status] of [
      ['TDX TCB status', state.tcbStatus],
      ['TDX QE TCB status', state.qeTcbStatus],
    ] as const) {
      if (status !== undefined && !allowed.includes(status)) {
        violations.push(
          `${what} expected ${allowed.join(' or ')}, got ${status} (add it to policy.tdx.allowedTcbStatuses to accept)`,
        );
      }
    }
  }
  if (policy.minimumTeeTcbSvn === undefined) {
    warnings.push('TEE_TCB_SVN not checked: policy.tdx.minimumTeeTcbSvn is unset');
  } else {
    const minimum = policy.minimumTeeTcbSvn;
    const below = [...minimum].findIndex((min, i) => (body.teeTcbSvn[i] ?? 0) < min);
    if (below >= 0) {
      violations.push(
        `TDX TEE_TCB_SVN expected at least ${Buffer.from(minimum).toString('hex')}, got ${body.teeTcbSvn.toString('hex')} (component ${below})`,
      );
    }
  }

  // TD attributes and features.
  const tdAttributes = u64(body.tdAttributes);
  if ((tdAttributes & TD_ATTRIBUTE_DEBUG) !== 0n && policy.allowDebug !== true) {
    violations.push('TDX TDATTRIBUTES.DEBUG expected off, got on (set policy.tdx.allowDebug=true to accept)');
  }
  if (policy.tdAttributes === undefined) {
    warnings.push('TD attributes other than DEBUG not checked: policy.tdx.tdAttributes is unset');
  } else {
    const mask = (policy.tdAttributes.mask ?? U64_MAX) & ~TD_ATTRIBUTE_DEBUG;
    const got = tdAttributes & mask;
    const expected = policy.tdAttributes.expected & mask;
    if (got !== expected) {
      violations.push(`TDX TDATTRIBUTES & ${hex64(mask)} expected ${hex64(expected)}, got ${hex64(got)}`);
    }
  }
  if (policy.xfam === undefined) {
    warnings.push('XFAM not checked: policy.tdx.xfam is unset');
  } else {
    const mask = policy.xfam.mask ?? U64_MAX;
    const got = u64(body.xfam) & mask;
    const expected = policy.xfam.expected & mask;
    if (got !== expected) violations.push(`TDX XFAM & ${hex64(mask)} expected ${hex64(expected)}, got ${hex64(got)}`);
  }

  // Measurements.
  if (!policy.mrTd || policy.mrTd.length === 0) {
    warnings.push('MRTD not checked: policy.tdx.mrTd is empty');
  } else if (!policy.mrTd.some((value) => body.mrTd.equals(value))) {
    violations.push(`TDX MRTD expected ${allowedText(policy.mrTd)}, got ${shortHex(body.mrTd)}`);
  }
  const rtmrs = policy.rtmrs ?? {};
  for (const index of [0, 1, 2, 3] as const) {
    const rule = rtmrs[index];
    const actual = body.rtmrs[index];
    if (rule === undefined) {
      warnings.push(`RTMR[${index}] not checked: policy.tdx.rtmrs[${index}] is unset`);
    } else if (!rule.expected.some((value) => actual.equals(value))) {
      const line = `TDX RTMR[${index}] expected ${allowedText(rule.expected)}, got ${shortHex(actual)}`;
      (rule.mode === 'warn' ? warnings : violations).push(line);
    }
  }
  for (const [key, label, actual] of [
    ['mrConfigId', 'MRCONFIGID', body.mrConfigId],
    ['mrOwner', 'MROWNER', body.mrOwner],
    ['mrOwnerConfig', 'MROWNERCONFIG', body.mrOwnerConfig],
  ] as const) {
    const expected = policy[key];
    if (expected === undefined) warnings.push(`${label} not checked: policy.tdx.${key} is unset`);
    else if (!actual.equals(expected))
      violations.push(`TDX ${label} expected ${shortHex(expected)}, got ${shortHex(actual)}`);
  }
  if (policy.reportData === undefined) {
    warnings.push('report data not checked: policy.tdx.reportData is unset (no nonce/key binding)');
  } else if (!body.reportData.equals(policy.reportData)) {
    violations.push(`TDX REPORTDATA expected ${shortHex(policy.reportData)}, got ${shortHex(body.reportData)}`);
  }
  return policyResult(violations, warnings);
}

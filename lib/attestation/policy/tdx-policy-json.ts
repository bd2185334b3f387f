// The `tdx` section of a policy file → TdxPolicy (lib/attestation/tdx), digests as hex strings and 64-bit
// masks as decimal or 0x-hex strings.
import { TCB_STATUSES } from '../tdx/collateral-fields.js';
import type { TdxMaskedValue, TdxPolicy, TdxRtmrRule } from '../tdx/tdx-policy.js';
import type { PolicyIssues } from './policy-issues.js';
import { definedOnly, PolicyFields } from './policy-fields.js';

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
];

function masked(fields: PolicyFields, key: string): TdxMaskedValue | undefined {
  const section = fields.section(key, ['mask', 'expected']);
  if (section === undefined) return undefined;
  const expected = section.u64('expected');
  if (expected === undefined) {
    if (!section.has('expected')) section.invalid('expected', 'a 64-bit integer as a decimal or 0x-hex string');
    return undefined;
  }
  return definedOnly<TdxMaskedValue>({ mask: section.u64('mask'), expected });
}

function rtmrs(fields: PolicyFields): TdxPolicy['rtmrs'] {
  const section = fields.section('rtmrs', ['0', '1', '2', '3']);
  if (section === undefined) return undefined;
  const out: Partial<Record<0 | 1 | 2 | 3, TdxRtmrRule>> = {};
  for (const index of [0, 1, 2, 3] as const) {
    const rule = section.section(String(index), ['expected', 'mode']);
    if (rule === undefined) continue;
    const expected = rule.bytesList('expected', 48);
    const mode = rule.raw('mode');
    if (mode !== undefined && mode !== 'enforce' && mode !== 'warn') {
      rule.invalid('mode', '"enforce" or "warn"');
    }
    if (expected === undefined) {
      if (!rule.has('expected')) rule.invalid('expected', 'a non-empty array of 48-byte hex strings');
      continue;
    }
    out[index] = mode === 'warn' || mode === 'enforce' ? { expected, mode } : { expected };
  }
  return out;
}

export function parseTdxPolicyJson(issues: PolicyIssues, path: string, value: unknown): TdxPolicy | undefined {
  const fields = PolicyFields.of(issues, path, value, KEYS);
  if (fields === undefined) return undefined;
  return definedOnly<TdxPolicy>({
    mrTd: fields.bytesList('mrTd', 48),
    rtmrs: rtmrs(fields),
    allowDebug: fields.boolean('allowDebug'),
    tdAttributes: masked(fields, 'tdAttributes'),
    xfam: masked(fields, 'xfam'),
    minimumTeeTcbSvn: fields.bytes('minimumTeeTcbSvn', 16),
    allowedTcbStatuses: fields.choices('allowedTcbStatuses', TCB_STATUSES),
    allowMissingCollateral: fields.boolean('allowMissingCollateral'),
    mrConfigId: fields.bytes('mrConfigId', 48),
    mrOwner: fields.bytes('mrOwner', 48),
    mrOwnerConfig: fields.bytes('mrOwnerConfig', 48),
    reportData: fields.bytes('reportData', 64),
  });
}

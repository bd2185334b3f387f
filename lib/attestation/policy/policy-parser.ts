// parsePolicy: the one place where policy JSON (from a file, the join config or the CLI) becomes a typed
// Policy. Strict: unknown keys are errors, every problem is reported with its path, defaults are secure.
import { isPcrBank, PCR_BANKS, PCR_COUNT, PCR_DIGEST_SIZE, type PcrBank } from '../../tpm/pcr.js';
import {
  AK_TRUST_MODES,
  DEFAULT_POLICY,
  DEFAULT_TPM_POLICY,
  type AkTrustMode,
  type EventLogRulesPolicy,
  type PcrMode,
  type PcrRule,
  type Policy,
  type TpmPolicy,
} from './policy.js';
import { parseSnpPolicyJson } from './snp-policy-json.js';
import { parseTdxPolicyJson } from './tdx-policy-json.js';
import { describeJson, isJsonObject, PolicyInvalidError, PolicyIssues, rejectUnknownKeys } from './policy-issues.js';

const POLICY_KEYS = ['tpm', 'snp', 'tdx', 'akTrust'];
const TPM_KEYS = [
  'pcrs',
  'allowSha1Banks',
  'unloggedPcrs',
  'partiallyLoggedPcrs',
  'allowedEvents',
  'requireSecureBoot',
  'eventLogRules',
];
const PCR_RULE_KEYS = ['expected', 'mode'];
const EVENT_LOG_RULE_KEYS = ['enabled', 'allowEfiAppBeforeCallingEvent'];
const HEX = /^[0-9a-fA-F]*$/;
const PCR_INDEX = /^(0|[1-9][0-9]?)$/;

/**
 * Parses and validates a policy given as JSON text or as an already-parsed JSON value.
 * Throws PolicyInvalidError (InputError, code POLICY_INVALID) listing every problem with its path.
 */
export function parsePolicy(json: unknown): Policy {
  const issues = new PolicyIssues();
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (error) {
      throw new PolicyInvalidError([`.: expected JSON, got a parse error (${(error as Error).message})`]);
    }
  }
  if (!isJsonObject(value)) {
    throw new PolicyInvalidError([`.: expected an object, got ${describeJson(value)}`]);
  }
  rejectUnknownKeys(issues, '', value, POLICY_KEYS);
  const tpm = value.tpm === undefined ? DEFAULT_TPM_POLICY : parseTpmPolicy(issues, '.tpm', value.tpm);
  const snp = value.snp === undefined ? undefined : parseSnpPolicyJson(issues, '.snp', value.snp);
  const tdx = value.tdx === undefined ? undefined : parseTdxPolicyJson(issues, '.tdx', value.tdx);
  const akTrust =
    value.akTrust === undefined ? DEFAULT_POLICY.akTrust : parseAkTrust(issues, '.akTrust', value.akTrust);
  issues.throwIfAny();
  return { tpm, snp, tdx, akTrust };
}

function parseTpmPolicy(issues: PolicyIssues, path: string, value: unknown): TpmPolicy {
  if (!isJsonObject(value)) {
    issues.add(path, `expected an object, got ${describeJson(value)}`);
    return DEFAULT_TPM_POLICY;
  }
  rejectUnknownKeys(issues, path, value, TPM_KEYS);
  const allowSha1Banks = parseBoolean(issues, `${path}.allowSha1Banks`, value.allowSha1Banks, false);
  const unloggedPcrs =
    value.unloggedPcrs === undefined
      ? DEFAULT_TPM_POLICY.unloggedPcrs
      : parsePcrIndexList(issues, `${path}.unloggedPcrs`, value.unloggedPcrs);
  const partiallyLoggedPcrs =
    value.partiallyLoggedPcrs === undefined
      ? DEFAULT_TPM_POLICY.partiallyLoggedPcrs
      : parsePcrIndexList(issues, `${path}.partiallyLoggedPcrs`, value.partiallyLoggedPcrs);
  for (const index of partiallyLoggedPcrs) {
    if (unloggedPcrs.includes(index)) {
      issues.add(
        `${path}.partiallyLoggedPcrs`,
        `expected PCRs not listed in ${path}.unloggedPcrs, got PCR ${index} in both (a PCR either has firmware events or none)`,
      );
    }
  }
  const pcrs = parseBankTable(issues, `${path}.pcrs`, value.pcrs, allowSha1Banks, parsePcrRule);
  checkPartiallyLoggedPinned(issues, path, partiallyLoggedPcrs, pcrs);
  const allowedEvents = parseBankTable(
    issues,
    `${path}.allowedEvents`,
    value.allowedEvents,
    allowSha1Banks,
    parseDigestList,
  );
  // An allowed-event list only means something where the log is proven by replay; an unlogged or partially
  // logged PCR is not.
  for (const [bank, table] of Object.entries(allowedEvents)) {
    for (const index of Object.keys(table)) {
      const list = unloggedPcrs.includes(Number(index))
        ? 'unloggedPcrs'
        : partiallyLoggedPcrs.includes(Number(index))
          ? 'partiallyLoggedPcrs'
          : undefined;
      if (list !== undefined) {
        issues.add(
          `${path}.allowedEvents.${bank}.${index}`,
          `expected a replay-verified PCR, got PCR ${index} which is listed in ${path}.${list}`,
        );
      }
    }
  }
  return {
    pcrs,
    allowSha1Banks,
    unloggedPcrs,
    partiallyLoggedPcrs,
    allowedEvents,
    requireSecureBoot: parseBoolean(issues, `${path}.requireSecureBoot`, value.requireSecureBoot, false),
    eventLogRules: parseEventLogRules(issues, `${path}.eventLogRules`, value.eventLogRules),
  };
}

/**
 * A partially logged PCR is proven by nothing but its signed value, so that value must be pinned: in every bank
 * the policy pins, and enforced in at least one of them.
 */
function checkPartiallyLoggedPinned(
  issues: PolicyIssues,
  path: string,
  partiallyLoggedPcrs: readonly number[],
  pcrs: Partial<Record<PcrBank, Readonly<Record<number, PcrRule>>>>,
): void {
  const banks = (Object.entries(pcrs) as [PcrBank, Readonly<Record<number, PcrRule>>][]).filter(
    ([, rules]) => Object.keys(rules).length > 0,
  );
  for (const index of partiallyLoggedPcrs) {
    const unpinned = banks.filter(([, rules]) => rules[index] === undefined).map(([bank]) => bank);
    const enforced = banks.some(([, rules]) => rules[index]?.mode === 'enforce');
    if (unpinned.length > 0 || !enforced) {
      const where = unpinned.length > 0 ? `not pinned in ${unpinned.join(', ')}` : 'pinned only with mode "warn"';
      issues.add(
        `${path}.partiallyLoggedPcrs`,
        `expected PCR ${index} pinned in ${path}.pcrs (mode "enforce") in every pinned bank, since replay does not ` +
          `prove a partially logged PCR, got it ${banks.length === 0 ? 'unpinned (no PCR is pinned)' : where}`,
      );
    }
  }
}

/** `{ <bank>: { <pcr index>: <entry> } }`, parsing each entry with `parseEntry`. */
function parseBankTable<T>(
  issues: PolicyIssues,
  path: string,
  value: unknown,
  allowSha1Banks: boolean,
  parseEntry: (issues: PolicyIssues, path: string, value: unknown, bank: PcrBank) => T | undefined,
): Partial<Record<PcrBank, Readonly<Record<number, T>>>> {
  const table: Partial<Record<PcrBank, Record<number, T>>> = {};
  if (value === undefined) return table;
  if (!isJsonObject(value)) {
    issues.add(path, `expected an object keyed by PCR bank, got ${describeJson(value)}`);
    return table;
  }
  for (const [bank, byIndex] of Object.entries(value)) {
    const bankPath = `${path}.${bank}`;
    if (!isPcrBank(bank)) {
      issues.add(bankPath, `unknown PCR bank (expected one of ${PCR_BANKS.join(', ')})`);
      continue;
    }
    if (bank === 'sha1' && !allowSha1Banks) {
      issues.add(bankPath, 'expected no SHA-1 bank entries, got some (set tpm.allowSha1Banks=true to accept SHA-1)');
    }
    if (!isJsonObject(byIndex)) {
      issues.add(bankPath, `expected an object keyed by PCR index, got ${describeJson(byIndex)}`);
      continue;
    }
    const entries: Record<number, T> = {};
    for (const [index, entry] of Object.entries(byIndex)) {
      const entryPath = `${bankPath}.${index}`;
      if (!PCR_INDEX.test(index) || Number(index) >= PCR_COUNT) {
        issues.add(entryPath, `expected a PCR index 0-${PCR_COUNT - 1}, got ${JSON.stringify(index)}`);
        continue;
      }
      const parsed = parseEntry(issues, entryPath, entry, bank);
      if (parsed !== undefined) entries[Number(index)] = parsed;
    }
    table[bank] = entries;
  }
  return table;
}

function parsePcrRule(issues: PolicyIssues, path: string, value: unknown, bank: PcrBank): PcrRule | undefined {
  if (!isJsonObject(value)) {
    issues.add(path, `expected an object {expected: [hex], mode}, got ${describeJson(value)}`);
    return undefined;
  }
  rejectUnknownKeys(issues, path, value, PCR_RULE_KEYS);
  const expected = parseDigestList(issues, `${path}.expected`, value.expected, bank);
  let mode: PcrMode = 'enforce';
  if (value.mode !== undefined) {
    if (value.mode === 'enforce' || value.mode === 'warn') mode = value.mode;
    else issues.add(`${path}.mode`, `expected "enforce" or "warn", got ${describeJson(value.mode)}`);
  }
  return expected === undefined ? undefined : { expected, mode };
}

/** A non-empty list of digests of the bank's size, as hex strings. */
function parseDigestList(issues: PolicyIssues, path: string, value: unknown, bank: PcrBank): Buffer[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, `expected a non-empty array of ${bank} digests in hex, got ${describeJson(value)}`);
    return undefined;
  }
  const digests: Buffer[] = [];
  const hexLength = PCR_DIGEST_SIZE[bank] * 2;
  value.forEach((item: unknown, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof item !== 'string') issues.add(itemPath, `expected a hex string, got ${describeJson(item)}`);
    else if (!HEX.test(item)) issues.add(itemPath, `expected hex digits, got ${describeJson(item)}`);
    else if (item.length !== hexLength) issues.add(itemPath, `expected ${hexLength} hex chars, got ${item.length}`);
    else digests.push(Buffer.from(item, 'hex'));
  });
  return digests.length === value.length ? digests : undefined;
}

function parsePcrIndexList(issues: PolicyIssues, path: string, value: unknown): number[] {
  if (!Array.isArray(value)) {
    issues.add(path, `expected an array of PCR indices, got ${describeJson(value)}`);
    return [];
  }
  const indices: number[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < 0 || item >= PCR_COUNT) {
      issues.add(`${path}[${i}]`, `expected a PCR index 0-${PCR_COUNT - 1}, got ${describeJson(item)}`);
    } else if (indices.includes(item)) {
      issues.add(`${path}[${i}]`, `expected each PCR once, got ${item} again`);
    } else {
      indices.push(item);
    }
  });
  return indices.sort((a, b) => a - b);
}

function parseEventLogRules(issues: PolicyIssues, path: string, value: unknown): EventLogRulesPolicy {
  if (value === undefined) return DEFAULT_TPM_POLICY.eventLogRules;
  if (!isJsonObject(value)) {
    issues.add(path, `expected an object, got ${describeJson(value)}`);
    return DEFAULT_TPM_POLICY.eventLogRules;
  }
  rejectUnknownKeys(issues, path, value, EVENT_LOG_RULE_KEYS);
  return {
    enabled: parseBoolean(issues, `${path}.enabled`, value.enabled, true),
    allowEfiAppBeforeCallingEvent: parseBoolean(
      issues,
      `${path}.allowEfiAppBeforeCallingEvent`,
      value.allowEfiAppBeforeCallingEvent,
      false,
    ),
  };
}

function parseAkTrust(issues: PolicyIssues, path: string, value: unknown): AkTrustMode[] {
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, `expected a non-empty array of ${AK_TRUST_MODES.join(' | ')}, got ${describeJson(value)}`);
    return [];
  }
  const modes: AkTrustMode[] = [];
  value.forEach((item: unknown, i) => {
    const mode = AK_TRUST_MODES.find((m) => m === item);
    if (mode === undefined) {
      issues.add(`${path}[${i}]`, `expected one of ${AK_TRUST_MODES.join(', ')}, got ${describeJson(item)}`);
    } else if (!modes.includes(mode)) {
      modes.push(mode);
    }
  });
  return modes;
}

function parseBoolean(issues: PolicyIssues, path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  issues.add(path, `expected true or false, got ${describeJson(value)}`);
  return fallback;
}

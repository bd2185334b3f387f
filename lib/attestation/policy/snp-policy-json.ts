// The `snp` section of a policy file → SnpPolicy (lib/attestation/snp), digests as hex strings.
import { TCB_COMPONENTS } from '../snp/tcb-version.js';
import type { SnpPolicy, SnpTcbMinimum, SnpVersionMinimum } from '../snp/snp-policy.js';
import type { PolicyIssues } from './policy-issues.js';
import { definedOnly, PolicyFields } from './policy-fields.js';

const KEYS = [
  'minimumTcb',
  'allowDebug',
  'allowMigrationAgent',
  'requireSmtDisabled',
  'requireSingleSocket',
  'minimumAbi',
  'minimumFirmware',
  'vmpl',
  'measurements',
  'hostData',
  'idKeyDigests',
  'authorKeyDigests',
  'reportData',
  'minimumGuestSvn',
  'products',
  'stepping',
  'signingKeys',
];

function version(fields: PolicyFields, key: string): SnpVersionMinimum | undefined {
  const section = fields.section(key, ['major', 'minor']);
  if (section === undefined) return undefined;
  return { major: section.integer('major', 255) ?? 0, minor: section.integer('minor', 255) ?? 0 };
}

function minimumTcb(fields: PolicyFields): SnpTcbMinimum | undefined {
  const section = fields.section('minimumTcb', TCB_COMPONENTS);
  if (section === undefined) return undefined;
  const out: Partial<Record<(typeof TCB_COMPONENTS)[number], number>> = {};
  for (const component of TCB_COMPONENTS) {
    const value = section.integer(component, 255);
    if (value !== undefined) out[component] = value;
  }
  return out;
}

export function parseSnpPolicyJson(issues: PolicyIssues, path: string, value: unknown): SnpPolicy | undefined {
  const fields = PolicyFields.of(issues, path, value, KEYS);
  if (fields === undefined) return undefined;
  return definedOnly<SnpPolicy>({
    minimumTcb: minimumTcb(fields),
    allowDebug: fields.boolean('allowDebug'),
    allowMigrationAgent: fields.boolean('allowMigrationAgent'),
    requireSmtDisabled: fields.boolean('requireSmtDisabled'),
    requireSingleSocket: fields.boolean('requireSingleSocket'),
    minimumAbi: version(fields, 'minimumAbi'),
    minimumFirmware: version(fields, 'minimumFirmware'),
    vmpl: fields.integer('vmpl', 3),
    measurements: fields.bytesList('measurements', 48),
    hostData: fields.bytes('hostData', 32),
    idKeyDigests: fields.bytesList('idKeyDigests', 48),
    authorKeyDigests: fields.bytesList('authorKeyDigests', 48),
    reportData: fields.bytes('reportData', 64),
    minimumGuestSvn: fields.integer('minimumGuestSvn', 0xffffffff),
    products: fields.strings('products'),
    stepping: fields.integer('stepping', 15),
    signingKeys: fields.choices('signingKeys', ['vcek', 'vlek'] as const),
  });
}

// Verified measurements as attestation policy: the tpm.pcrs.sha256 rules of POLICY-FORMAT.md, one per PCR with
// its mode. PCR 15 is not among them; withClusterMeasurement (lib/boot) adds it where the CLI knows its value.
import type { ImagePolicyJson, PcrRuleJson } from '../boot/image-policy.js';
import type { Measurements } from './measurements.js';

export function measurementsPolicy(measurements: Measurements): ImagePolicyJson {
  const rules: Record<string, PcrRuleJson> = {};
  const ordered = Object.entries(measurements.pcrs).sort(([a], [b]) => Number(a) - Number(b));
  for (const [index, pcr] of ordered) rules[index] = { expected: [pcr.expected], mode: pcr.mode };
  return { tpm: { pcrs: { sha256: rules } } };
}

// Verified measurements as attestation policy: the tpm.pcrs.sha256 rules of POLICY-FORMAT.md, one per PCR with
// its mode, and how the image's PCRs are logged. PCR 15 is not among the rules; withClusterMeasurement (lib/boot)
// adds it where the CLI knows its value.
import type { ImagePolicyJson, PcrRuleJson } from '../boot/image-policy.js';
import type { Measurements } from './measurements.js';

/**
 * PCRs of a node booted from the image that have no firmware events: 10 (IMA's boot_aggregate, logged only in
 * IMA's own list) and the policy defaults 15 (cluster measurement), 16 (debug) and 23 (application).
 */
export const IMAGE_UNLOGGED_PCRS: readonly number[] = Object.freeze([10, 15, 16, 23]);
/**
 * PCRs whose firmware log is only a prefix of their extensions: 11 gets systemd-stub's logged EV_IPL events, then
 * systemd-pcrphase's boot phases, which systemd 252 does not log. Their value is proven by the pin only.
 */
export const IMAGE_PARTIALLY_LOGGED_PCRS: readonly number[] = Object.freeze([11]);

export function measurementsPolicy(measurements: Measurements): ImagePolicyJson {
  const rules: Record<string, PcrRuleJson> = {};
  const ordered = Object.entries(measurements.pcrs).sort(([a], [b]) => Number(a) - Number(b));
  for (const [index, pcr] of ordered) rules[index] = { expected: [pcr.expected], mode: pcr.mode };
  return {
    tpm: {
      pcrs: { sha256: rules },
      unloggedPcrs: [...IMAGE_UNLOGGED_PCRS],
      partiallyLoggedPcrs: [...IMAGE_PARTIALLY_LOGGED_PCRS],
    },
  };
}

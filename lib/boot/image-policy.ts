// The attestation policy (POLICY-FORMAT.md JSON) that accepts exactly a node booted from `components`: every boot
// PCR pinned to its predicted sha256 value (PCRs the image does not touch pinned to their reset value, so nothing
// may be measured there either). PCR 15 is the caller's: `withClusterMeasurement(policy, value)` pins it, with
// zero before init (the Init server and `constellation init` expect an unbound node) and
// clusterMeasurement(clusterId) afterwards (join, verify, recover).
import { invalidArgument } from '../errors.js';
import { BOOT_PCRS, type BootComponent } from './boot-component.js';
import { expectedPcrs } from './expected-pcrs.js';

export interface PcrRuleJson {
  readonly expected: readonly string[];
  readonly mode?: 'enforce' | 'warn';
}

/** The subset of the policy JSON this module writes; parsePolicy reads it (other keys keep their defaults). */
export interface ImagePolicyJson {
  readonly tpm: {
    readonly pcrs: { readonly sha256: Readonly<Record<string, PcrRuleJson>> };
  } & Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

export interface ImagePolicyOptions {
  /** PCRs to enforce (default every boot PCR, 0-14). Others are left unpinned. */
  readonly enforce?: readonly number[];
}

export const CLUSTER_MEASUREMENT_PCR = 15;

export function imagePolicy(components: readonly BootComponent[], options: ImagePolicyOptions = {}): ImagePolicyJson {
  const enforce = options.enforce ?? BOOT_PCRS;
  const list: unknown = enforce;
  if (!Array.isArray(list) || !enforce.every((pcr) => BOOT_PCRS.includes(pcr))) {
    throw invalidArgument('enforce', 'an array of boot PCRs 0-14', enforce);
  }
  const predicted = expectedPcrs(components, ['sha256']).sha256;
  const rules: Record<string, PcrRuleJson> = {};
  for (const pcr of [...new Set(enforce)].sort((a, b) => a - b)) {
    const value = predicted[pcr] ?? Buffer.alloc(32);
    rules[String(pcr)] = { expected: [value.toString('hex')], mode: 'enforce' };
  }
  return { tpm: { pcrs: { sha256: rules } } };
}

/** A copy of `policy` that also enforces PCR 15 = `value` (32 bytes, sha256 bank). */
export function withClusterMeasurement(policy: ImagePolicyJson, value: Buffer): ImagePolicyJson {
  if (!Buffer.isBuffer(value) || value.length !== 32)
    throw invalidArgument('PCR 15 value', 'a Buffer of 32 bytes', value);
  return {
    ...policy,
    tpm: {
      ...policy.tpm,
      pcrs: {
        ...policy.tpm.pcrs,
        sha256: {
          ...policy.tpm.pcrs.sha256,
          [String(CLUSTER_MEASUREMENT_PCR)]: { expected: [value.toString('hex')], mode: 'enforce' },
        },
      },
    },
  };
}

// What a verified SEV-SNP state must look like to be accepted. Secure by default: DEBUG, the migration
// agent and VMPLs other than 0 are refused unless the policy opts in, and every opt-in names its setting.
// Checks the policy leaves unset are reported as warnings, so a permissive policy is visible.
import { invalidArgument } from '../../errors.js';
import { shortHex } from '../../hex.js';
import { policyResult, type PolicyResult } from '../policy-result.js';
import type { SnpSignerKind } from './amd-chain.js';
import { tcbComponents, type TcbComponent, type TcbVersion } from './tcb-version.js';
import type { VerifiedSnpState } from './snp-verifier.js';

export type SnpTcbMinimum = Readonly<Partial<Record<TcbComponent, number>>>;

export interface SnpVersionMinimum {
  readonly major: number;
  readonly minor: number;
}

export interface SnpPolicy {
  /** Minimum SPL per component, applied to the reported, current, committed and launch TCB (refuses rollback). */
  readonly minimumTcb?: SnpTcbMinimum;
  /** Accept a guest policy that allows debugging (the hypervisor can read guest memory). Default false. */
  readonly allowDebug?: boolean;
  /** Accept a guest policy that allows a migration agent. Default false. */
  readonly allowMigrationAgent?: boolean;
  /** Require a guest policy that forbids SMT. Default false. */
  readonly requireSmtDisabled?: boolean;
  /** Require a guest policy restricted to a single socket. Default false. */
  readonly requireSingleSocket?: boolean;
  /** Minimum ABI version the guest policy demands of the firmware. */
  readonly minimumAbi?: SnpVersionMinimum;
  /** Minimum firmware version (current and committed). */
  readonly minimumFirmware?: SnpVersionMinimum;
  /** Required VMPL of the report's requester. Default 0 (the most privileged level: a paravisor or the kernel). */
  readonly vmpl?: number;
  /** Allowed launch measurements (48 bytes each). */
  readonly measurements?: readonly Uint8Array[];
  /** Required HOST_DATA (32 bytes). */
  readonly hostData?: Uint8Array;
  /** Allowed ID key digests (48 bytes each). */
  readonly idKeyDigests?: readonly Uint8Array[];
  /** Allowed author key digests (48 bytes each). */
  readonly authorKeyDigests?: readonly Uint8Array[];
  /** Expected REPORT_DATA (64 bytes): the binding to the nonce and channel key. */
  readonly reportData?: Uint8Array;
  readonly minimumGuestSvn?: number;
  /** Allowed products: "Milan" (any stepping) or an exact productName such as "Milan-B0". */
  readonly products?: readonly string[];
  /** Required machine stepping (go-sev-guest's MachineStepping: "Milan-B1" → 1). */
  readonly stepping?: number;
  /** Allowed signing keys. Default both VCEK and VLEK. */
  readonly signingKeys?: readonly SnpSignerKind[];
}

const SIZES = { measurement: 48, hostData: 32, digest: 48, reportData: 64 } as const;

function requireBytes(value: unknown, name: string, size: number): void {
  if (!(value instanceof Uint8Array) || value.length !== size) throw invalidArgument(name, `${size} bytes`, value);
}

function requireByteList(value: readonly Uint8Array[] | undefined, name: string, size: number): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalidArgument(name, `an array of ${size}-byte values`, value);
  value.forEach((item, index) => {
    requireBytes(item, `${name}[${index}]`, size);
  });
}

function requireCount(value: unknown, name: string, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalidArgument(name, `an integer 0..${max}`, value);
  }
}

function validatePolicy(policy: SnpPolicy): void {
  for (const [component, value] of Object.entries(policy.minimumTcb ?? {})) {
    requireCount(value, `policy.snp.minimumTcb.${component}`, 255);
  }
  requireByteList(policy.measurements, 'policy.snp.measurements', SIZES.measurement);
  if (policy.hostData !== undefined) requireBytes(policy.hostData, 'policy.snp.hostData', SIZES.hostData);
  requireByteList(policy.idKeyDigests, 'policy.snp.idKeyDigests', SIZES.digest);
  requireByteList(policy.authorKeyDigests, 'policy.snp.authorKeyDigests', SIZES.digest);
  if (policy.reportData !== undefined) requireBytes(policy.reportData, 'policy.snp.reportData', SIZES.reportData);
  requireCount(policy.vmpl, 'policy.snp.vmpl', 3);
  requireCount(policy.minimumGuestSvn, 'policy.snp.minimumGuestSvn', 0xffffffff);
  requireCount(policy.stepping, 'policy.snp.stepping', 15);
  requireCount(policy.minimumAbi?.major, 'policy.snp.minimumAbi.major', 255);
  requireCount(policy.minimumAbi?.minor, 'policy.snp.minimumAbi.minor', 255);
  requireCount(policy.minimumFirmware?.major, 'policy.snp.minimumFirmware.major', 255);
  requireCount(policy.minimumFirmware?.minor, 'policy.snp.minimumFirmware.minor', 255);
}

function versionBelow(major: number, minor: number, minimum: SnpVersionMinimum): boolean {
  return major < minimum.major || (major === minimum.major && minor < minimum.minor);
}

function inList(value: Buffer, allowed: readonly Uint8Array[]): boolean {
  return allowed.some((candidate) => value.equals(candidate));
}

function allowedText(allowed: readonly Uint8Array[]): string {
  return allowed.length === 1 ? shortHex(allowed[0] ?? new Uint8Array()) : `one of ${allowed.length} allowed values`;
}

/** Applies `policy` to a verified SNP state; returns every violation and warning (never throws for evidence). */
export function evaluateSnpPolicy(state: VerifiedSnpState, policy: SnpPolicy): PolicyResult {
  validatePolicy(policy);
  const violations: string[] = [];
  const warnings: string[] = [];
  const report = state.report;
  const guest = report.policy;

  // TCB: each of the four TCB values, so that a rolled-back or stale platform is refused.
  const minimumTcb = policy.minimumTcb;
  if (minimumTcb === undefined || Object.keys(minimumTcb).length === 0) {
    warnings.push('TCB not checked: policy.snp.minimumTcb is empty');
  } else {
    const components = tcbComponents(state.product);
    for (const component of Object.keys(minimumTcb) as TcbComponent[]) {
      if (!components.includes(component)) {
        warnings.push(`policy.snp.minimumTcb.${component} ignored: ${state.product} has no ${component} SPL`);
      }
    }
    const tcbs: readonly [string, TcbVersion][] = [
      ['reported', state.tcb.reported],
      ['current', state.tcb.current],
      ['committed', state.tcb.committed],
      ['launch', state.tcb.launch],
    ];
    for (const [which, tcb] of tcbs) {
      for (const component of components) {
        const minimum = minimumTcb[component];
        const actual = tcb[component];
        if (minimum !== undefined && actual !== undefined && actual < minimum) {
          violations.push(`SNP ${which} TCB ${component} SPL expected at least ${minimum}, got ${actual}`);
        }
      }
    }
  }

  // Guest policy.
  if (guest.debugAllowed && policy.allowDebug !== true) {
    violations.push('SNP guest policy DEBUG expected off, got on (set policy.snp.allowDebug=true to accept)');
  }
  if (guest.migrateMaAllowed && policy.allowMigrationAgent !== true) {
    violations.push(
      'SNP guest policy MIGRATE_MA expected off, got on (set policy.snp.allowMigrationAgent=true to accept)',
    );
  }
  if (policy.requireSmtDisabled === true && guest.smtAllowed) {
    violations.push('SNP guest policy SMT expected off, got on (policy.snp.requireSmtDisabled is set)');
  }
  if (policy.requireSingleSocket === true && !guest.singleSocketRequired) {
    violations.push('SNP guest policy SINGLE_SOCKET expected on, got off (policy.snp.requireSingleSocket is set)');
  }
  if (guest.reservedBits !== 0n) {
    violations.push(`SNP guest policy reserved bits 26..63 expected 0, got 0x${guest.reservedBits.toString(16)}`);
  }
  if (policy.minimumAbi && versionBelow(guest.abiMajor, guest.abiMinor, policy.minimumAbi)) {
    violations.push(
      `SNP guest policy ABI expected at least ${policy.minimumAbi.major}.${policy.minimumAbi.minor}, got ${guest.abiMajor}.${guest.abiMinor}`,
    );
  }
  if (policy.minimumFirmware) {
    const minimum = policy.minimumFirmware;
    for (const [which, major, minor] of [
      ['current', report.currentMajor, report.currentMinor],
      ['committed', report.committedMajor, report.committedMinor],
    ] as const) {
      if (versionBelow(major, minor, minimum)) {
        violations.push(
          `SNP ${which} firmware expected at least ${minimum.major}.${minimum.minor}, got ${major}.${minor}`,
        );
      }
    }
  }

  const vmpl = policy.vmpl ?? 0;
  if (report.vmpl !== vmpl) violations.push(`SNP report VMPL expected ${vmpl}, got ${report.vmpl}`);

  // Launch identity.
  if (!policy.measurements || policy.measurements.length === 0) {
    warnings.push('measurement not checked: policy.snp.measurements is empty');
  } else if (!inList(report.measurement, policy.measurements)) {
    violations.push(
      `SNP measurement expected ${allowedText(policy.measurements)}, got ${shortHex(report.measurement)}`,
    );
  }
  if (policy.hostData === undefined) {
    warnings.push('host data not checked: policy.snp.hostData is unset');
  } else if (!report.hostData.equals(policy.hostData)) {
    violations.push(`SNP HOST_DATA expected ${shortHex(policy.hostData)}, got ${shortHex(report.hostData)}`);
  }
  if (!policy.idKeyDigests || policy.idKeyDigests.length === 0) {
    warnings.push('ID key not checked: policy.snp.idKeyDigests is empty');
  } else if (!inList(report.idKeyDigest, policy.idKeyDigests)) {
    violations.push(
      `SNP ID_KEY_DIGEST expected ${allowedText(policy.idKeyDigests)}, got ${shortHex(report.idKeyDigest)}`,
    );
  }
  if (!policy.authorKeyDigests || policy.authorKeyDigests.length === 0) {
    warnings.push('author key not checked: policy.snp.authorKeyDigests is empty');
  } else if (!inList(report.authorKeyDigest, policy.authorKeyDigests)) {
    violations.push(
      `SNP AUTHOR_KEY_DIGEST expected ${allowedText(policy.authorKeyDigests)}, got ${shortHex(report.authorKeyDigest)}`,
    );
  }
  if (policy.reportData === undefined) {
    warnings.push('report data not checked: policy.snp.reportData is unset (no nonce/key binding)');
  } else if (!report.reportData.equals(policy.reportData)) {
    violations.push(`SNP REPORT_DATA expected ${shortHex(policy.reportData)}, got ${shortHex(report.reportData)}`);
  }
  if (policy.minimumGuestSvn !== undefined && report.guestSvn < policy.minimumGuestSvn) {
    violations.push(`SNP GUEST_SVN expected at least ${policy.minimumGuestSvn}, got ${report.guestSvn}`);
  }

  // Platform.
  if (!policy.products || policy.products.length === 0) {
    warnings.push('product not checked: policy.snp.products is empty');
  } else if (!policy.products.includes(state.product) && !policy.products.includes(state.productName)) {
    violations.push(`SNP product expected one of ${policy.products.join(', ')}, got ${state.productName}`);
  }
  if (policy.stepping !== undefined && state.stepping !== policy.stepping) {
    violations.push(`SNP product stepping expected ${policy.stepping}, got ${state.stepping ?? 'none'}`);
  }
  const signingKeys = policy.signingKeys ?? ['vcek', 'vlek'];
  if (!signingKeys.includes(state.signingKey)) {
    violations.push(`SNP signing key expected ${signingKeys.join(' or ')}, got ${state.signingKey}`);
  }
  return policyResult(violations, warnings);
}

// Which QEMU accelerator a VM cluster uses, decided by capability and not by the existence of /dev/kvm: a host
// whose KVM is PVM (a paravirtualised KVM for PVM guests only, as on the CI machines) has /dev/kvm, but OVMF
// dies in it with an emulation failure and a standard kernel hangs. Standard guests need hardware
// virtualisation the CPU offers (vmx or svm in /proc/cpuinfo) and a /dev/kvm we can open.
import { access, constants, readFile } from 'node:fs/promises';

export type Accelerator = 'kvm' | 'tcg';

export interface AccelerationProbe {
  /** The text of /proc/cpuinfo. */
  readonly cpuinfo: string;
  /** /dev/kvm exists and opens read-write for us. */
  readonly kvmDeviceUsable: boolean;
  /** The loaded KVM is PVM (/sys/module/kvm_pvm): it runs PVM guests only. */
  readonly kvmIsPvm: boolean;
}

export interface Acceleration {
  readonly accelerator: Accelerator;
  /** Why, in a few words, for the line printed up front. */
  readonly reason: string;
}

/** The decision alone (pure), so the recorded /proc/cpuinfo of each kind of host is a unit test. */
export function chooseAcceleration(probe: AccelerationProbe): Acceleration {
  const flags = cpuFlags(probe.cpuinfo);
  const hardware = flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : undefined;
  // Every reason that applies, so the line says all that would have to change.
  const against: string[] = [];
  if (hardware === undefined) {
    const guest = flags.has('hypervisor') ? ' (this host is itself a guest without nested virtualisation)' : '';
    against.push(`the CPU offers neither vmx nor svm${guest}`);
  }
  if (probe.kvmIsPvm) against.push('/dev/kvm is PVM (kvm_pvm), which runs PVM guests only');
  else if (!probe.kvmDeviceUsable) against.push('/dev/kvm is missing or not read-writable');
  if (hardware === undefined || against.length > 0) return { accelerator: 'tcg', reason: against.join('; ') };
  return { accelerator: 'kvm', reason: `the CPU offers ${hardware} and /dev/kvm is usable` };
}

/** The flags of the first processor (every processor of a host has the same). */
export function cpuFlags(cpuinfo: string): ReadonlySet<string> {
  const line = cpuinfo.split('\n').find((candidate) => /^flags\s*:/.test(candidate));
  if (line === undefined) return new Set();
  return new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
}

/** Reads the facts of this host. */
export async function probeAcceleration(
  paths: { cpuinfo?: string; kvm?: string; pvmModule?: string } = {},
): Promise<AccelerationProbe> {
  const cpuinfo = await readFile(paths.cpuinfo ?? '/proc/cpuinfo', 'utf8').catch(() => '');
  const kvmDeviceUsable = await access(paths.kvm ?? '/dev/kvm', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  const kvmIsPvm = await access(paths.pvmModule ?? '/sys/module/kvm_pvm').then(
    () => true,
    () => false,
  );
  return { cpuinfo, kvmDeviceUsable, kvmIsPvm };
}

/** The line `mini up` prints before anything else. */
export function describeAcceleration(acceleration: Acceleration): string {
  return acceleration.accelerator === 'kvm'
    ? `Acceleration: KVM (${acceleration.reason})`
    : `Acceleration: TCG (no hardware virtualisation for standard guests: ${acceleration.reason}); expect about 2 minutes to a verified 3-node cluster on 2 cores`;
}

// What one VM of a cluster is (written by `mini up` into the node's directory), and the QEMU command line it
// becomes. The command line is a pure function: the measured boot depends on it (the boot order pins PCR 4, the
// devices and option ROMs PCRs 1 and 2), so a golden boot that learns PCR values must use exactly this one.
import type { Accelerator } from './acceleration.js';
import type { VmLayout } from './mini-layout.js';

export type NodeRole = 'control-plane' | 'worker';

export interface VmSpec {
  readonly name: string;
  readonly role: NodeRole;
  /** The node's DHCP address (a static lease by MAC). */
  readonly address: string;
  readonly mac: string;
  /** The tap in `namespace` this VM's NIC uses. */
  readonly tap: string;
  readonly namespace: string;
  readonly accelerator: Accelerator;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** Absolute paths of the host's firmware and of the read-only base image. */
  readonly ovmfCode: string;
  readonly baseDisk: string;
}

export const STATE_DISK_SERIAL = 'constellation-state';
export const STATE_DISK_BYTES = 1024 ** 3;
export const VM_MEMORY_MIB = 1024;

/** 2 vCPUs for a single VM (multi-threaded TCG halves its boot), 1 each when several share the 2 host cores. */
export function vcpusPerVm(nodes: number, hostCpus: number): number {
  return nodes === 1 ? Math.max(1, Math.min(2, hostCpus)) : 1;
}

/** A locally administered, fixed MAC per cluster and node index (QEMU's 52:54:00 prefix). */
export function vmMac(clusterId: string, index: number): string {
  const octets = [clusterId.slice(0, 2), clusterId.slice(2, 4), index.toString(16).padStart(2, '0')];
  return `52:54:00:${octets.join(':')}`;
}

/**
 * The CPU model under TCG: an AMD Opteron (SSE3, no AES-NI, no AVX) without SVM. Measured on 2 cores, `mini up`
 * 1:2 to a verified cluster: ~180 s with Nehalem, ~137 s with this model. Why:
 * - AMD: the guest kernel knows AMD CPUs are not affected by Meltdown and MDS, so it runs without page-table
 *   isolation (two CR3 writes per system call, each a full flush of TCG's software TLB) and without VERW buffer
 *   clearing. Those mitigations protect against speculation in real hardware; an emulated CPU has none to exploit
 *   (under KVM the guest sees the host's CPU and its real bugs).
 * - `-svm`: with SVM advertised udev loads kvm_amd and kvm (≈1.5 MB of module text, ~12 s under TCG, while
 *   systemd-networkd and the Bootstrapper wait for the CPU); a node never runs nested VMs.
 * - `-misalignsse`: TCG does not emulate it (QEMU warns on every start otherwise).
 * - no AES-NI/AVX: with `max`, udev's cpu0 event loaded every crypto module the emulated CPU features matched, and
 *   the kernel's self-tests of that emulated vector code held the only vCPU for 20-50 s (soft lockups).
 */
export const TCG_CPU_MODEL = 'Opteron_G3,-svm,-misalignsse';

/** The arguments after `qemu-system-x86_64`. */
export function qemuArguments(spec: VmSpec, layout: VmLayout): string[] {
  const kvm = spec.accelerator === 'kvm';
  return [
    '-name',
    `constellation-${spec.name},process=constellation-${spec.name}`,
    '-machine',
    `q35,accel=${spec.accelerator}`,
    '-cpu',
    kvm ? 'host' : TCG_CPU_MODEL,
    '-smp',
    String(spec.vcpus),
    '-m',
    String(spec.memoryMiB),
    // No default devices (VGA, default NIC, CD-ROM): the device list, and with it PCR 1/2, is exactly ours.
    '-nodefaults',
    '-display',
    'none',
    '-drive',
    `if=pflash,format=raw,unit=0,readonly=on,file=${spec.ovmfCode}`,
    '-drive',
    `if=pflash,format=raw,unit=1,file=${layout.varsFile}`,
    '-chardev',
    `socket,id=chrtpm,path=${layout.swtpmSocket}`,
    '-tpmdev',
    'emulator,id=tpm0,chardev=chrtpm',
    '-device',
    'tpm-tis,tpmdev=tpm0',
    '-drive',
    `if=none,id=boot,format=qcow2,file=${layout.bootDisk}`,
    // bootindex=1: the firmware tries no other boot option first, so PCR 4 has no "Returning from" events.
    '-device',
    'virtio-blk-pci,drive=boot,bootindex=1',
    // cache=unsafe: a guest's flush does not wait for the host disk. On these hosts an fsync waited up to 100 s
    // behind unrelated dirty pages (writeback ~15 MB/s, ext4 data=ordered), and the three guests' first-boot mkfs
    // writes made one guest's disk setup wait 14 s for its own flush. powerOffVm syncs the file once QEMU has exited,
    // so an orderly stop is durable; a host crash while the cluster runs can lose the state disks' last writes.
    '-drive',
    `if=none,id=state,format=raw,cache=unsafe,file=${layout.stateDisk}`,
    '-device',
    `virtio-blk-pci,drive=state,serial=${STATE_DISK_SERIAL}`,
    '-netdev',
    `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`,
    // romfile= (none): no iPXE option ROM, so no network boot option and nothing of it measured into PCR 2.
    '-device',
    `virtio-net-pci,netdev=net0,mac=${spec.mac},romfile=`,
    '-chardev',
    `file,id=console,path=${layout.consoleLog},append=on`,
    '-serial',
    'chardev:console',
    '-chardev',
    `file,id=milestones,path=${layout.milestonesLog},append=on`,
    '-serial',
    'chardev:milestones',
    '-qmp',
    `unix:${layout.qmpSocket},server=on,wait=off`,
  ];
}

export function swtpmArguments(layout: VmLayout): string[] {
  return [
    'socket',
    '--tpm2',
    '--tpmstate',
    `dir=${layout.tpmDir}`,
    '--ctrl',
    `type=unixio,path=${layout.swtpmSocket}`,
    '--log',
    `file=${layout.swtpmLog},level=1`,
    // QEMU drives the TPM's power: TPM2_Startup comes from the firmware, reset on a guest reboot. When QEMU is
    // gone, swtpm has nothing left to serve.
    '--terminate',
  ];
}

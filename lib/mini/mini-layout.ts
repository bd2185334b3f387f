// Where a VM cluster keeps its files: everything under `<workspace>/constellation-mini/`, so `mini down` removes
// one directory (the CLI's workspace files next to it are cli/workspace's).
import { join, resolve } from 'node:path';

export const MINI_DIR_NAME = 'constellation-mini';

export interface MiniLayout {
  readonly workspace: string;
  readonly dir: string;
  /** The cluster record (mini-record.ts). */
  readonly recordFile: string;
  /** The VM network's record, dnsmasq's files (vm-network.ts). */
  readonly networkDir: string;
  readonly inventoryFile: string;
  readonly metadataPidFile: string;
  readonly metadataStdout: string;
  readonly metadataLog: string;
  node(name: string): VmLayout;
}

export interface VmLayout {
  readonly dir: string;
  /** The VM's specification (vm-spec.ts), written once by `mini up`. */
  readonly specFile: string;
  /** This VM's copy of OVMF_VARS (the firmware's NVRAM). */
  readonly varsFile: string;
  /** The copy-on-write overlay over the read-only base disk.raw (or over the boot variant's disk). */
  readonly bootDisk: string;
  /** `mini start --kernel-command-line`: the image's disk with a UKI that carries another command line. */
  readonly bootVariantDir: string;
  /** The sparse raw state disk the guest formats as LUKS2 (serial constellation-state). */
  readonly stateDisk: string;
  /** swtpm state; kept, so the EK (the node's identity) survives reboots. */
  readonly tpmDir: string;
  readonly swtpmSocket: string;
  readonly swtpmLog: string;
  readonly swtpmPidFile: string;
  readonly qemuPidFile: string;
  readonly qemuLog: string;
  readonly qmpSocket: string;
  /** ttyS0: firmware, kernel and journald. */
  readonly consoleLog: string;
  /** ttyS1: the Bootstrapper's JSON milestones. */
  readonly milestonesLog: string;
  /** The node's EK certificate (PEM), read from its TPM when it was manufactured. */
  readonly ekCertificate: string;
  /** One JSON line per host-side event of the VM (power, exit), lib/local-cluster node-events format. */
  readonly events: string;
}

export function miniLayout(workspace: string): MiniLayout {
  const ws = resolve(workspace);
  const dir = join(ws, MINI_DIR_NAME);
  return {
    workspace: ws,
    dir,
    recordFile: join(dir, 'cluster.json'),
    networkDir: join(dir, 'network'),
    inventoryFile: join(dir, 'metadata', 'inventory.json'),
    metadataPidFile: join(dir, 'metadata', 'metadata.pid'),
    metadataStdout: join(dir, 'metadata', 'metadata.out'),
    metadataLog: join(dir, 'metadata', 'metadata.log'),
    node: (name: string) => vmLayoutAt(join(dir, 'nodes', name)),
  };
}

export function vmLayoutAt(nodeDir: string): VmLayout {
  const dir = resolve(nodeDir);
  return {
    dir,
    specFile: join(dir, 'vm.json'),
    varsFile: join(dir, 'OVMF_VARS.fd'),
    bootDisk: join(dir, 'boot.qcow2'),
    bootVariantDir: join(dir, 'boot-variant'),
    stateDisk: join(dir, 'state.raw'),
    tpmDir: join(dir, 'tpm'),
    swtpmSocket: join(dir, 'swtpm.sock'),
    swtpmLog: join(dir, 'swtpm.log'),
    swtpmPidFile: join(dir, 'swtpm.pid'),
    qemuPidFile: join(dir, 'qemu.pid'),
    qemuLog: join(dir, 'qemu.log'),
    qmpSocket: join(dir, 'qmp.sock'),
    consoleLog: join(dir, 'console.log'),
    milestonesLog: join(dir, 'milestones.log'),
    ekCertificate: join(dir, 'ek.pem'),
    events: join(dir, 'events.jsonl'),
  };
}

// Where a local process cluster keeps its files. Everything lives under `<workspace>/constellation-local/` so
// `local down` can remove it with one directory (the CLI's workspace files next to it are cli/workspace's).
import { join, resolve } from 'node:path';

export const CLUSTER_DIR_NAME = 'constellation-local';

export interface ClusterLayout {
  readonly workspace: string;
  readonly dir: string;
  /** The cluster record (cluster-record.ts). */
  readonly recordFile: string;
  /** The local manufacturer CA that issues every node's EK certificate. */
  readonly caDir: string;
  readonly caRootPem: string;
  readonly caIntermediatePem: string;
  readonly inventoryFile: string;
  readonly metadataPidFile: string;
  readonly metadataStdout: string;
  readonly metadataLog: string;
  node(name: string): NodeLayout;
}

export interface NodeLayout {
  readonly dir: string;
  /** The machine's specification (machine-spec.ts). */
  readonly specFile: string;
  /** swtpm state; kept across reboots so the EK (the node's identity) stays. */
  readonly tpmDir: string;
  /** The Bootstrapper's --state-dir (the development state disk). */
  readonly stateDir: string;
  /** The TCG event log of the current boot. */
  readonly eventLog: string;
  /** The node's EK certificate (PEM), written at the first boot. */
  readonly ekCertificate: string;
  /** One JSON line per machine and Bootstrapper milestone (node-events.ts). */
  readonly events: string;
  readonly machineLog: string;
  readonly bootstrapperLog: string;
  readonly machinePidFile: string;
  readonly bootstrapperPidFile: string;
  readonly swtpmPidFile: string;
}

export function clusterLayout(workspace: string): ClusterLayout {
  const ws = resolve(workspace);
  const dir = join(ws, CLUSTER_DIR_NAME);
  const caDir = join(dir, 'ca');
  return {
    workspace: ws,
    dir,
    recordFile: join(dir, 'cluster.json'),
    caDir,
    caRootPem: join(caDir, 'swtpm-localca-rootca-cert.pem'),
    caIntermediatePem: join(caDir, 'issuercert.pem'),
    inventoryFile: join(dir, 'metadata', 'inventory.json'),
    metadataPidFile: join(dir, 'metadata', 'metadata.pid'),
    metadataStdout: join(dir, 'metadata', 'metadata.out'),
    metadataLog: join(dir, 'metadata', 'metadata.log'),
    node: (name: string) => nodeLayoutAt(join(dir, 'nodes', name)),
  };
}

/** The files of one node, inside its directory. */
export function nodeLayoutAt(nodeDir: string): NodeLayout {
  return {
    dir: nodeDir,
    specFile: join(nodeDir, 'machine.json'),
    tpmDir: join(nodeDir, 'tpm'),
    stateDir: join(nodeDir, 'state'),
    eventLog: join(nodeDir, 'event-log.bin'),
    ekCertificate: join(nodeDir, 'ek.pem'),
    events: join(nodeDir, 'events.jsonl'),
    machineLog: join(nodeDir, 'machine.log'),
    bootstrapperLog: join(nodeDir, 'bootstrapper.log'),
    machinePidFile: join(nodeDir, 'machine.pid'),
    bootstrapperPidFile: join(nodeDir, 'bootstrapper.pid'),
    swtpmPidFile: join(nodeDir, 'swtpm.pid'),
  };
}

// A cluster of QEMU VMs on this host: a private network (vm-network.ts), the host-side metadata service on the
// network's host address, and one VM per node (vm-launcher.ts) booting the measured image. create → status →
// destroy. The CLI's workspace files are not touched here (cli/commands/mini-*.ts write and remove those).
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INIT_PORT, METADATA_PORT } from '../cluster/ports.js';
import { ConstellationError, InputError } from '../errors.js';
import { chooseRuntime, METADATA_ENTRY, type AgentRuntime } from '../local-cluster/agent-command.js';
import { assertNoClusterDirectory, createClusterDirectory } from '../local-cluster/cluster-directory.js';
import { clusterNodes } from '../local-cluster/cluster-size.js';
import { destroyCluster, stopClusterProcesses, type DestroyReport } from '../local-cluster/cluster-teardown.js';
import { findMetadataService, startMetadataService } from '../local-cluster/metadata-process.js';
import { readNodeEvents, type NodeEvent } from '../local-cluster/node-events.js';
import { findOwnedProcess } from '../local-cluster/owned-process.js';
import { createLocalCa } from '../swtpm/local-ca.js';
import type { Acceleration } from './acceleration.js';
import type { HostRequirements } from './host-requirements.js';
import { miniLayout, type MiniLayout } from './mini-layout.js';
import { MINI_RECORD_VERSION, readMiniRecord, writeMiniRecord, type MiniNode, type MiniRecord } from './mini-record.js';
import { readMilestones, waitForMilestone, type Milestone } from './milestones.js';
import { createVmNetwork, destroyVmNetwork } from './vm-network.js';
import { powerOffVm, powerOnVm, prepareVm, vmRunning } from './vm-launcher.js';
import { vcpusPerVm, VM_MEMORY_MIB, vmMac, type VmSpec } from './vm-spec.js';

/** Fixed in the image (guest network contract): the metadata service is http://10.42.0.1:8080. */
export const MINI_SUBNET = '10.42.0';
export const MAX_MINI_NODES = 16;

export interface CreateMiniClusterOptions {
  readonly workspace: string;
  readonly controlPlanes: number;
  readonly workers: number;
  readonly requirements: HostRequirements;
  readonly acceleration: Acceleration;
  /** Default MINI_SUBNET; only an image built for another subnet boots usefully elsewhere. */
  readonly subnet?: string;
  readonly runtime?: AgentRuntime;
  readonly vcpus?: number;
  /** The metadata service's log level (debug logs every answered request). Default info. */
  readonly metadataLogLevel?: 'debug' | 'info';
  readonly progress?: (message: string) => void;
}

export interface MiniClusterNode extends MiniNode {
  /** RFC 7638 thumbprint (hex) of the node's RSA EK, from its EK certificate. */
  readonly ekFingerprint: string;
}

export interface MiniCluster {
  readonly layout: MiniLayout;
  readonly record: MiniRecord;
  readonly nodes: readonly MiniClusterNode[];
  /** The one-time init secret (its SHA-256 is served by the metadata service). Secret. */
  readonly initSecret: Buffer;
  readonly initEndpoint: string;
  readonly metadataUrl: string;
  /** Copies (in the cluster directory) of the image CA's root and issuer, which the VMs' EK certificates chain to. */
  readonly ekRootsFile: string;
  readonly ekIntermediatesFile: string;
}

/** Creates the network, the metadata service and the VMs, and powers the VMs on; refuses an existing cluster. */
export async function createMiniCluster(options: CreateMiniClusterOptions): Promise<MiniCluster> {
  const { controlPlanes, workers, requirements, acceleration } = options;
  const named = clusterNodes(controlPlanes, workers, { maxNodes: MAX_MINI_NODES, code: 'MINI_CLUSTER_SIZE_INVALID' });
  const progress = options.progress ?? (() => undefined);
  const subnet = options.subnet ?? MINI_SUBNET;
  const layout = miniLayout(options.workspace);
  await createClusterDirectory(layout, () => clusterExists(layout));
  const id = randomBytes(4).toString('hex');
  const runtime = options.runtime ?? chooseRuntime(METADATA_ENTRY);
  const count = controlPlanes + workers;
  const vcpus = options.vcpus ?? vcpusPerVm(count, availableParallelism());
  const nodes: MiniNode[] = named.map((node, index) => ({
    ...node,
    address: `${subnet}.${String(10 + index)}`,
    mac: vmMac(id, index),
  }));
  const metadataListen = `${subnet}.1:${String(METADATA_PORT)}`;
  const record: MiniRecord = {
    version: MINI_RECORD_VERSION,
    createdAt: new Date().toISOString(),
    id,
    subnet,
    imageDir: requirements.imageDir,
    accelerator: acceleration.accelerator,
    vcpus,
    metadataListen,
    runtime,
    nodes,
  };
  // The record comes first: whatever fails later, `mini down` finds what was started.
  await writeMiniRecord(layout.recordFile, record);
  const initSecret = randomBytes(32);
  const metadataUrl = `http://${metadataListen}`;
  const ca = await createLocalCa(requirements.ekCaDir);
  // The workspace's config names the EK roots; a copy in the cluster directory keeps the workspace whole when the
  // image directory is rebuilt or removed (and goes with `mini down`).
  const ekRootsFile = join(layout.dir, 'ek-roots.pem');
  const ekIntermediatesFile = join(layout.dir, 'ek-intermediates.pem');
  const withEks: MiniClusterNode[] = [];
  try {
    await copyFile(join(requirements.ekCaDir, 'swtpm-localca-rootca-cert.pem'), ekRootsFile);
    await copyFile(join(requirements.ekCaDir, 'issuercert.pem'), ekIntermediatesFile);
    const network = await createVmNetwork({
      id,
      subnet,
      dir: layout.networkDir,
      leases: nodes.map(({ name, mac, address }) => ({ name, mac, address })),
    });
    progress(`network ${network.namespace}: host ${network.hostAddress}, nodes ${nodes[0]?.address ?? ''}…`);
    await startMetadataService(layout, {
      listen: metadataListen,
      runtime,
      nodes,
      initSecret,
      logLevel: options.metadataLogLevel ?? 'info',
    });
    progress(`metadata service listening on ${metadataListen}`);
    // One at a time: swtpm_setup serialises on the CA anyway, and qemu-img is quick.
    for (const [index, node] of nodes.entries()) {
      const spec: VmSpec = {
        name: node.name,
        role: node.role,
        address: node.address,
        mac: node.mac,
        tap: network.taps[index] ?? `tap${String(index)}`,
        namespace: network.namespace,
        accelerator: acceleration.accelerator,
        vcpus,
        memoryMiB: VM_MEMORY_MIB,
        ovmfCode: requirements.ovmfCode,
        baseDisk: requirements.diskImage,
      };
      const prepared = await prepareVm(layout.node(node.name).dir, spec, ca, { ovmfVars: requirements.ovmfVars });
      withEks.push({ ...node, ekFingerprint: prepared.ekFingerprint });
    }
    progress(`${String(nodes.length)} TPMs manufactured (EK certificates from ${requirements.ekCaDir})`);
    for (const node of nodes) {
      const on = await powerOnVm(layout.node(node.name).dir);
      progress(
        `${node.name} powered on (QEMU pid ${String(on.qemuPid)}, ${String(vcpus)} vCPU, ${acceleration.accelerator.toUpperCase()})`,
      );
    }
  } catch (error) {
    // Nothing keeps running after a failed `mini up`; the files stay so the logs can say why.
    await stopEverything(layout);
    throw new ConstellationError(
      'MINI_UP_FAILED',
      `Expected the VM cluster to start, found: ${(error as Error).message}. Its processes and network are removed; logs are kept in ${layout.dir} (run 'constellation mini down' to remove them)`,
      { cause: error },
    );
  }
  const initNode = nodes[0] ?? { address: `${subnet}.10` };
  return {
    layout,
    record,
    nodes: withEks,
    initSecret,
    initEndpoint: `${initNode.address}:${String(INIT_PORT)}`,
    metadataUrl,
    ekRootsFile,
    ekIntermediatesFile,
  };
}

function clusterExists(layout: MiniLayout): InputError {
  return new InputError(
    'MINI_CLUSTER_EXISTS',
    `Expected no VM cluster in ${layout.workspace}, found ${layout.dir}: run 'constellation mini down' first (or use another --workspace)`,
  );
}

/** Refuses (MINI_CLUSTER_EXISTS) when the workspace has a cluster directory, running or not. */
export async function assertNoMiniCluster(workspace: string): Promise<void> {
  const layout = miniLayout(workspace);
  await assertNoClusterDirectory(layout, () => clusterExists(layout));
}

/**
 * Waits until every node reports one of `events` on its milestones port after `after[name]` milestones, with a
 * progress line per node (elapsed time comes from the caller's progress). Fails early when a VM's QEMU exits.
 */
export async function waitForNodes(
  cluster: { layout: MiniLayout; record: MiniRecord },
  events: readonly string[],
  options: { after?: Readonly<Record<string, number>>; timeoutMs: number; progress?: (message: string) => void },
): Promise<Record<string, Milestone>> {
  const reached: Record<string, Milestone> = {};
  await Promise.all(
    cluster.record.nodes.map(async (node) => {
      const vm = cluster.layout.node(node.name);
      const milestone = await waitForMilestone(vm.milestonesLog, events, node.name, {
        after: options.after?.[node.name] ?? 0,
        timeoutMs: options.timeoutMs,
        check: async () => {
          if ((await vmRunning(vm.dir)) === undefined) {
            throw new ConstellationError(
              'MINI_VM_EXITED',
              `Expected the VM ${node.name} to run, found QEMU exited: see ${vm.qemuLog} and ${vm.consoleLog}`,
            );
          }
        },
      });
      reached[node.name] = milestone;
      options.progress?.(`${node.name}: ${milestone.event}`);
    }),
  );
  return reached;
}

/** The number of milestones each node has reported so far: pass it as `after` to wait for what comes next. */
export async function milestoneCounts(cluster: {
  layout: MiniLayout;
  record: MiniRecord;
}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of cluster.record.nodes) {
    counts[node.name] = (await readMilestones(cluster.layout.node(node.name).milestonesLog)).length;
  }
  return counts;
}

export async function openMiniCluster(workspace: string): Promise<{ layout: MiniLayout; record: MiniRecord }> {
  const layout = miniLayout(workspace);
  return { layout, record: await readMiniRecord(layout.recordFile) };
}

export interface VmStatus extends MiniNode {
  readonly qemuPid?: number;
  readonly swtpmPid?: number;
  /** The last milestone the node's Bootstrapper reported on its milestones port. */
  readonly lastMilestone?: Milestone;
  /** The last host-side event of the VM (qemu-started, powered-off). */
  readonly lastEvent?: NodeEvent;
}

export async function miniClusterStatus(
  workspace: string,
): Promise<{ record: MiniRecord; metadataPid?: number; nodes: VmStatus[] }> {
  const { layout, record } = await openMiniCluster(workspace);
  const metadata = await findMetadataService(layout);
  const nodes = await Promise.all(
    record.nodes.map(async (node): Promise<VmStatus> => {
      const vm = layout.node(node.name);
      const qemuPid = await vmRunning(vm.dir);
      const swtpm = await findOwnedProcess(vm.swtpmPidFile, vm.tpmDir);
      const lastMilestone = (await readMilestones(vm.milestonesLog)).at(-1);
      const lastEvent = (await readNodeEvents(vm.events)).at(-1);
      return {
        ...node,
        ...(qemuPid === undefined ? {} : { qemuPid }),
        ...(swtpm === undefined ? {} : { swtpmPid: swtpm.pid }),
        ...(lastMilestone === undefined ? {} : { lastMilestone }),
        ...(lastEvent === undefined ? {} : { lastEvent }),
      };
    }),
  );
  return { record, ...(metadata === undefined ? {} : { metadataPid: metadata.pid }), nodes };
}

/**
 * Stops every VM (and its swtpm), the metadata service and dnsmasq, removes the network and the cluster
 * directory. Works on a half-created cluster too: it scans the node directories instead of trusting the record.
 */
export async function destroyMiniCluster(workspace: string): Promise<DestroyReport> {
  const layout = miniLayout(workspace);
  return destroyCluster(layout.dir, () => stopEverything(layout));
}

async function stopEverything(layout: MiniLayout): Promise<string[]> {
  const stopped = await stopClusterProcesses(layout, { label: 'VM', powerOff: powerOffVm });
  const network = await destroyVmNetwork(layout.networkDir);
  stopped.push(...network.removed);
  return stopped;
}

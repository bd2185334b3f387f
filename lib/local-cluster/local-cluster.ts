// The local process cluster: a host-side metadata service and N machines (machine.ts), each a detached process
// tree with its own swtpm, on its own loopback address. create → start/stop single nodes → destroy. The CLI's
// workspace files are not touched here (cli/commands/local-*.ts write and remove those).
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { keyFingerprint } from '../attestation/verify/ak-trust.js';
import { INIT_PORT, LOCAL_METADATA_HOST, METADATA_PORT, localNodeHost } from '../cluster/ports.js';
import { ConstellationError, InputError } from '../errors.js';
import { createLocalCa } from '../swtpm/local-ca.js';
import { BOOTSTRAPPER_ENTRY, chooseRuntime, type AgentRuntime } from './agent-command.js';
import { assertNoClusterDirectory, createClusterDirectory } from './cluster-directory.js';
import { clusterLayout, type ClusterLayout } from './cluster-layout.js';
import {
  CLUSTER_RECORD_VERSION,
  readClusterRecord,
  writeClusterRecord,
  type ClusterNode,
  type ClusterRecord,
} from './cluster-record.js';
import { clusterNodes } from './cluster-size.js';
import { destroyCluster, stopClusterProcesses, type DestroyReport } from './cluster-teardown.js';
import { machineRunning, powerOff, powerOn } from './machine-launcher.js';
import type { MachineSpec } from './machine-spec.js';
import { findMetadataService, startMetadataService } from './metadata-process.js';
import { readNodeEvents, waitForNodeEvent, type NodeEvent } from './node-events.js';
import { findOwnedProcess } from './owned-process.js';

/** Where the cluster listens; the default is lib/cluster/ports.ts (tests pick another 127.x range). */
export interface LocalNetwork {
  readonly metadataHost: string;
  readonly metadataPort: number;
  nodeHost(index: number): string;
}

export const DEFAULT_NETWORK: LocalNetwork = {
  metadataHost: LOCAL_METADATA_HOST,
  metadataPort: METADATA_PORT,
  nodeHost: localNodeHost,
};

export interface CreateLocalClusterOptions {
  readonly workspace: string;
  readonly controlPlanes: number;
  readonly workers: number;
  readonly network?: LocalNetwork;
  readonly runtime?: AgentRuntime;
  readonly logLevel?: MachineSpec['logLevel'];
  readonly progress?: (message: string) => void;
}

export interface LocalClusterNode extends ClusterNode {
  /** RFC 7638 thumbprint (hex) of the node's RSA EK, from its EK certificate. */
  readonly ekFingerprint: string;
}

export interface LocalCluster {
  readonly layout: ClusterLayout;
  readonly record: ClusterRecord;
  readonly nodes: readonly LocalClusterNode[];
  /** The one-time init secret (its SHA-256 is served by the metadata service). Secret. */
  readonly initSecret: Buffer;
  readonly initEndpoint: string;
  readonly metadataUrl: string;
}

export const MAX_NODES = 32;

/** Creates and powers on a cluster; refuses (LOCAL_CLUSTER_EXISTS) when the workspace already has one. */
export async function createLocalCluster(options: CreateLocalClusterOptions): Promise<LocalCluster> {
  const { controlPlanes, workers } = options;
  const named = clusterNodes(controlPlanes, workers, { maxNodes: MAX_NODES, code: 'LOCAL_CLUSTER_SIZE_INVALID' });
  const progress = options.progress ?? (() => undefined);
  const network = options.network ?? DEFAULT_NETWORK;
  const layout = clusterLayout(options.workspace);
  await createClusterDirectory(layout, () => clusterExists(layout));
  const runtime = options.runtime ?? chooseRuntime(BOOTSTRAPPER_ENTRY);
  const nodes: ClusterNode[] = named.map((node, index) => ({ ...node, address: network.nodeHost(index) }));
  const metadataListen = `${network.metadataHost}:${String(network.metadataPort)}`;
  const record: ClusterRecord = {
    version: CLUSTER_RECORD_VERSION,
    createdAt: new Date().toISOString(),
    metadataListen,
    runtime,
    nodes,
  };
  // The record comes first: whatever fails later, `local down` finds what was started.
  await writeClusterRecord(layout.recordFile, record);

  const initSecret = randomBytes(32);
  const metadataUrl = `http://${metadataListen}`;
  try {
    await createLocalCa(layout.caDir);
    await startMetadataService(layout, { listen: metadataListen, runtime, nodes, initSecret });
    progress(`metadata service listening on ${metadataListen}`);

    // allSettled: a failed boot must not leave another machine half-started when we stop them all below.
    const boots = await Promise.allSettled(
      nodes.map(async (node) => {
        const nodeLayout = layout.node(node.name);
        await mkdir(nodeLayout.dir, { recursive: true });
        const spec: MachineSpec = {
          name: node.name,
          role: node.role,
          address: node.address,
          nodeDir: nodeLayout.dir,
          caDir: layout.caDir,
          ekRootsFile: layout.caRootPem,
          ekIntermediatesFile: layout.caIntermediatePem,
          metadataUrl,
          runtime,
          logLevel: options.logLevel ?? 'info',
        };
        await writeFile(nodeLayout.specFile, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
        await powerOn(nodeLayout.dir, { runtime });
        progress(`${node.name} booted on ${node.address}`);
      }),
    );
    const failed = boots.find((boot) => boot.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    // Nothing keeps running after a failed `local up`; the files stay so the logs can say why.
    await stopProcesses(layout);
    throw new ConstellationError(
      'LOCAL_UP_FAILED',
      `expected the local cluster to start, found: ${(error as Error).message}. Its processes are stopped; logs are kept in ${layout.dir} (run 'constellation local down' to remove them)`,
      { cause: error },
    );
  }
  const withEks = await Promise.all(
    nodes.map(async (node) => ({ ...node, ekFingerprint: await ekFingerprintOf(layout, node.name) })),
  );
  // controlPlanes ≥ 1 and control-plane nodes come first.
  const initNode = nodes[0] ?? { address: network.nodeHost(0) };
  return {
    layout,
    record,
    nodes: withEks,
    initSecret,
    initEndpoint: `${initNode.address}:${String(INIT_PORT)}`,
    metadataUrl,
  };
}

/** Refuses (LOCAL_CLUSTER_EXISTS) when the workspace has a cluster directory, running or not. */
export async function assertNoLocalCluster(workspace: string): Promise<void> {
  const layout = clusterLayout(workspace);
  await assertNoClusterDirectory(layout, () => clusterExists(layout));
}

function clusterExists(layout: ClusterLayout): InputError {
  return new InputError(
    'LOCAL_CLUSTER_EXISTS',
    `expected no local cluster in ${layout.workspace}, found ${layout.dir}: run 'constellation local down' first (or use another --workspace)`,
  );
}

async function ekFingerprintOf(layout: ClusterLayout, name: string): Promise<string> {
  const path = layout.node(name).ekCertificate;
  try {
    return keyFingerprint(new X509Certificate(await readFile(path)).publicKey);
  } catch (error) {
    throw new ConstellationError(
      'LOCAL_EK_UNREADABLE',
      `expected the EK certificate of ${name} at ${path}, found: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Powers a node's machine on again (after `stopNode`), optionally with a tampered kernel command line. */
export async function startNode(
  workspace: string,
  name: string,
  options: { kernelCommandLine?: string; timeoutMs?: number } = {},
): Promise<NodeEvent> {
  const { layout, record } = await openCluster(workspace);
  nodeOf(record, name);
  return powerOn(layout.node(name).dir, { runtime: record.runtime, ...options });
}

/** Powers a node's machine off (its Bootstrapper gets SIGTERM, its swtpm stops; TPM and state stay). */
export async function stopNode(workspace: string, name: string): Promise<'not-running' | 'terminated' | 'killed'> {
  const { layout, record } = await openCluster(workspace);
  nodeOf(record, name);
  return powerOff(layout.node(name).dir);
}

export interface NodeStatus extends ClusterNode {
  readonly machinePid?: number;
  readonly bootstrapperPid?: number;
  readonly boot?: number;
  /** The last milestone the Bootstrapper printed in the current boot (serving-init, joined, …). */
  readonly lastEvent?: NodeEvent;
}

export async function clusterStatus(
  workspace: string,
): Promise<{ record: ClusterRecord; metadataPid?: number; nodes: NodeStatus[] }> {
  const { layout, record } = await openCluster(workspace);
  const metadata = await findMetadataService(layout);
  const nodes = await Promise.all(
    record.nodes.map(async (node): Promise<NodeStatus> => {
      const nodeLayout = layout.node(node.name);
      const machinePid = await machineRunning(nodeLayout);
      const bootstrapper = await findOwnedProcess(nodeLayout.bootstrapperPidFile, nodeLayout.stateDir);
      const events = await readNodeEvents(nodeLayout.events);
      const lastEvent =
        events.findLast((event) => event.source === 'bootstrapper' && event.event !== 'stdout') ?? events.at(-1);
      return {
        ...node,
        ...(machinePid === undefined ? {} : { machinePid }),
        ...(bootstrapper === undefined ? {} : { bootstrapperPid: bootstrapper.pid }),
        ...(lastEvent === undefined ? {} : { boot: lastEvent.boot, lastEvent }),
      };
    }),
  );
  return { record, ...(metadata === undefined ? {} : { metadataPid: metadata.pid }), nodes };
}

/**
 * Stops every process the cluster started (machines, and whatever a killed machine left behind, then the
 * metadata service) and removes the cluster directory. Works on a half-created cluster too: it scans the
 * node directories instead of trusting the record alone.
 */
export async function destroyLocalCluster(workspace: string): Promise<DestroyReport> {
  const layout = clusterLayout(workspace);
  return destroyCluster(layout.dir, () => stopProcesses(layout));
}

/** Stops the machines (scanning node directories, not trusting the record alone), then the metadata service. */
async function stopProcesses(layout: ClusterLayout): Promise<string[]> {
  return stopClusterProcesses(layout, { label: 'machine', powerOff });
}

export async function openCluster(workspace: string): Promise<{ layout: ClusterLayout; record: ClusterRecord }> {
  const layout = clusterLayout(workspace);
  return { layout, record: await readClusterRecord(layout.recordFile) };
}

function nodeOf(record: ClusterRecord, name: string): ClusterNode {
  const node = record.nodes.find((candidate) => candidate.name === name);
  if (node === undefined) {
    throw new InputError(
      'LOCAL_NODE_UNKNOWN',
      `expected one of the nodes ${record.nodes.map((n) => n.name).join(', ')}, found "${name}"`,
    );
  }
  return node;
}

/** The number of events a node has recorded so far: pass it as `after` to wait for what happens next. */
export async function nodeEventCount(workspace: string, name: string): Promise<number> {
  return (await readNodeEvents(clusterLayout(workspace).node(name).events)).length;
}

/** Waits for a Bootstrapper milestone of a node (e.g. `joined`, `waiting-for-recovery`), after `after` events. */
export async function waitForMilestone(
  workspace: string,
  name: string,
  milestone: string,
  options: { after?: number; timeoutMs?: number } = {},
): Promise<NodeEvent> {
  const layout = clusterLayout(workspace).node(name);
  return waitForNodeEvent(
    layout.events,
    (event) => event.source === 'bootstrapper' && event.event === milestone,
    `${name} to report "${milestone}"`,
    options,
  );
}

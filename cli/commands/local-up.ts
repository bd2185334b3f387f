// `constellation local up`: the README's main job. Starts a local process cluster (a metadata service and one
// machine per node, each with its own swtpm and loopback address), writes the workspace (config with the
// image's policy, the local CA as EK root and the control-plane EKs; state with the init secret and nodes),
// then runs init, waits for the workers to join, and verifies every node.
import { Command, Option } from 'commander';
import { METADATA_PORT } from '../../lib/cluster/ports.js';
import { directoryStateDiskWarning } from '../../lib/disk/directory-state-disk.js';
import { localImagePolicy } from '../../lib/local-cluster/local-firmware.js';
import {
  assertNoLocalCluster,
  createLocalCluster,
  nodeEventCount,
  waitForMilestone,
  type LocalCluster,
  type LocalNetwork,
} from '../../lib/local-cluster/local-cluster.js';
import type { AgentRuntime } from '../../lib/local-cluster/agent-command.js';
import { writeConfig, type ClusterConfig } from '../workspace/config.js';
import { assertWorkspaceFree, startedClusterConfig, writeInfrastructureState } from '../workspace/cluster-workspace.js';
import { WORKSPACE_FILES } from '../workspace/files.js';
import type { CliIo } from '../cli-io.js';
import { reportError } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { writeVerifyReport } from '../cluster/verify-output.js';
import type { InitResult } from './init.js';
import { initAndVerify } from './init-and-verify.js';
import type { VerifyReport } from './verify.js';
import { elapsedProgress, phaseTimer } from './local-progress.js';

export interface StartLocalClusterOptions {
  readonly workspace: string;
  readonly controlPlanes?: number;
  readonly workers?: number;
  readonly network?: LocalNetwork;
  readonly runtime?: AgentRuntime;
  readonly progress?: (message: string) => void;
}

export interface StartedLocalCluster {
  readonly cluster: LocalCluster;
  /** Milliseconds per phase, for the bench. */
  readonly phases: Readonly<Record<string, number>>;
}

export interface LocalUpOptions extends StartLocalClusterOptions {
  /** Run init, wait for the joins and verify (default true); false leaves `constellation init` to the admin. */
  readonly init?: boolean;
  /** How long each node may take to reach its services after init. Default 60 s. */
  readonly joinTimeoutMs?: number;
}

export interface LocalUpResult extends StartedLocalCluster {
  readonly init?: InitResult;
  readonly verification?: VerifyReport;
}

/**
 * `local up` as a library call: starts the cluster, writes the workspace, then (unless `init: false`) runs init,
 * waits until every node serves its services (the workers joined) and verifies every node. Throws on failures
 * before verify; a failed verification is in the result (its `exitCode`).
 */
export async function localUp(options: LocalUpOptions): Promise<LocalUpResult> {
  const progress = options.progress ?? (() => undefined);
  const started = await startLocalCluster(options);
  if (options.init === false) return started;
  const { cluster } = started;
  const phases = { ...started.phases };
  const { init, verification } = await initAndVerify(options.workspace, {
    progress,
    lap: phaseTimer(phases),
    countProgress: () => eventCounts(options.workspace, cluster),
    waitForServices: (after) => waitForServices(options.workspace, cluster, after, options.joinTimeoutMs),
    servicesMessage: 'every worker joined',
  });
  return { cluster, phases, init, verification };
}

/** Starts the cluster and writes the workspace; every workspace file must be absent (nothing is overwritten). */
export async function startLocalCluster(options: StartLocalClusterOptions): Promise<StartedLocalCluster> {
  const progress = options.progress ?? (() => undefined);
  await assertNoLocalCluster(options.workspace);
  await assertWorkspaceFree(options.workspace, 'local');
  const phases: Record<string, number> = {};
  const phase = phaseTimer(phases);
  const cluster = await createLocalCluster({
    workspace: options.workspace,
    controlPlanes: options.controlPlanes ?? 1,
    workers: options.workers ?? 2,
    progress,
    ...(options.network === undefined ? {} : { network: options.network }),
    ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
  });
  phase('machines');
  const config = localConfig(cluster);
  await writeConfig(cluster.layout.workspace, config);
  await writeInfrastructureState(cluster.layout.workspace, cluster, 'local');
  phase('workspace');
  progress(`workspace written: ${WORKSPACE_FILES.config}, ${WORKSPACE_FILES.state}`);
  return { cluster, phases };
}

/** The config of a local cluster: the image's PCRs, the local CA as EK root, the control-plane nodes' EKs. */
export function localConfig(cluster: LocalCluster): ClusterConfig {
  return startedClusterConfig(cluster.layout.workspace, {
    name: 'local',
    image: localImagePolicy(),
    ekRootsFile: cluster.layout.caRootPem,
    ekIntermediatesFile: cluster.layout.caIntermediatePem,
    nodes: cluster.nodes,
    stateDisk: 'none',
  });
}

/**
 * Waits until every node reports `services` (its VerificationService listens, so verify can reach it), after
 * `after[name]` events: the init node once Init is done, every other node once it joined.
 */
export async function waitForServices(
  workspace: string,
  cluster: LocalCluster,
  after: Readonly<Record<string, number>>,
  timeoutMs = 60_000,
): Promise<void> {
  await Promise.all(
    cluster.nodes.map((node) =>
      waitForMilestone(workspace, node.name, 'services', { after: after[node.name] ?? 0, timeoutMs }),
    ),
  );
}

export async function eventCounts(workspace: string, cluster: LocalCluster): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of cluster.nodes) counts[node.name] = await nodeEventCount(workspace, node.name);
  return counts;
}

export interface LocalUpFlags {
  readonly workspace: string;
  readonly workers: string;
  readonly controlPlanes: string;
  readonly init: boolean;
  readonly output: 'text' | 'json';
  readonly subnet?: string;
}

export function makeLocalUpCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('up')
    .description('Start a local cluster of node processes, then init it and verify every node')
    .option('--workspace <dir>', 'workspace directory', '.')
    .option('--workers <n>', 'worker nodes', '2')
    .option('--control-planes <n>', 'control-plane nodes (the first receives Init)', '1')
    .option('--no-init', 'only start the nodes and write the workspace; run constellation init yourself')
    .option('--subnet <a.b.c>', 'loopback /24 to use: metadata on .1, node i on .(10+i) (default 127.42.0)')
    .addOption(
      new Option('--output <format>', 'output format of the verify result').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', LOCAL_UP_HELP)
    .action(async (flags: LocalUpFlags) => {
      done(await runLocalUp(flags, io));
    });
}

const LOCAL_UP_HELP = `
What it starts (all under <workspace>/constellation-local/, removed by 'constellation local down'):
  - a local TPM manufacturer CA that issues every node's EK certificate;
  - the metadata service on 127.42.0.1:8080 (untrusted, like a cloud's: nodes find the control plane there);
  - one machine per node on 127.42.0.10, .11, …: a supervisor process with the node's swtpm (TPM state kept
    across reboots), a simulated measured boot (PCRs and a TCG event log), and the Bootstrapper. A Bootstrapper
    that fails makes its machine reboot, like a VM.

What it writes in the workspace (refused if any exists): constellation-conf.yaml (the image's PCRs as policy,
the local CA as EK root, the control-plane nodes' EK fingerprints, stateDisk: none), constellation-state.json
(init secret, endpoints, nodes); init then writes constellation-mastersecret.json, constellation-id.json and
constellation-admin.conf.

The development state disk is a plain directory: NOT encrypted. Progress goes to stderr with elapsed times;
the verify result goes to stdout. Logs: constellation-local/nodes/<node>/{machine,bootstrapper}.log and
events.jsonl (each node's milestones).

Examples:
  $ constellation local up --workspace ./local
  $ constellation local status --workspace ./local
  $ constellation local stop worker-0 --workspace ./local && constellation local start worker-0 --workspace ./local
  $ constellation local down --workspace ./local`;

async function runLocalUp(flags: LocalUpFlags, io: CliIo): Promise<ExitCode> {
  const progress = elapsedProgress(io.stderr);
  try {
    const workers = count(flags.workers, '--workers', 0);
    const controlPlanes = count(flags.controlPlanes, '--control-planes', 1);
    const network = flags.subnet === undefined ? undefined : subnetNetwork(flags.subnet);
    io.stderr.write(`WARNING: ${directoryStateDiskWarning('constellation-local/nodes/<node>/state')}\n`);
    const { verification: report } = await localUp({
      workspace: flags.workspace,
      workers,
      controlPlanes,
      progress,
      init: flags.init,
      ...(network === undefined ? {} : { network }),
    });
    if (report === undefined) {
      progress("nodes are up; run 'constellation init' next");
      return ExitCode.OK;
    }
    return writeVerifyReport(io, report, flags.output);
  } catch (error) {
    return reportError(io, error, 'constellation local up --help');
  }
}

/** `127.43.5` → metadata 127.43.5.1:8080, node i 127.43.5.(10+i): a second cluster beside the default one. */
export function subnetNetwork(subnet: string): LocalNetwork {
  const octets = subnet.split('.');
  const valid =
    octets.length === 3 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
  if (!valid)
    throw new UsageError(`--subnet: expected three octets of a loopback address like 127.42.0, found "${subnet}"`);
  return {
    metadataHost: `${subnet}.1`,
    metadataPort: METADATA_PORT,
    nodeHost: (index) => `${subnet}.${String(10 + index)}`,
  };
}

function count(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!/^\d{1,2}$/.test(text) || value < min) {
    throw new UsageError(`${flag}: expected a whole number ≥ ${String(min)}, found "${text}"`);
  }
  return value;
}

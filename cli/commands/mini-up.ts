// `constellation mini up`: a cluster of QEMU VMs booting the measured node image. Host requirements first, the
// accelerator said up front, then the VMs on a private network with the host-side metadata service; the
// workspace gets a config whose PCR policy is the image's signed measurements (verified first), then init, the
// joins and verify run exactly as against a cloud.
import { Command, Option } from 'commander';
import { chooseAcceleration, describeAcceleration, probeAcceleration } from '../../lib/mini/acceleration.js';
import { checkHostRequirements } from '../../lib/mini/host-requirements.js';
import {
  assertNoMiniCluster,
  createMiniCluster,
  milestoneCounts,
  waitForNodes,
  type MiniCluster,
} from '../../lib/mini/mini-cluster.js';
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
import { imageMeasurements, type ImageMeasurements } from './mini-measurements.js';

export interface MiniUpOptions {
  readonly workspace: string;
  readonly controlPlanes: number;
  readonly workers: number;
  readonly imageDir: string;
  /** The release key that must have signed the image's measurements (default <image>/release-key.pub.pem). */
  readonly releaseKeyFile?: string;
  /** Run init, wait for the joins and verify (default true). */
  readonly init?: boolean;
  /** How long a VM may take from power-on to serving Init (TCG: minutes). Default 10 min. */
  readonly bootTimeoutMs?: number;
  readonly joinTimeoutMs?: number;
  readonly progress?: (message: string) => void;
  /** Where the acceleration line goes (stderr in the CLI). */
  readonly announce?: (line: string) => void;
}

export interface MiniUpResult {
  readonly cluster: MiniCluster;
  /** Milliseconds per phase, for the bench. */
  readonly phases: Readonly<Record<string, number>>;
  readonly init?: InitResult;
  readonly verification?: VerifyReport;
}

export async function miniUp(options: MiniUpOptions): Promise<MiniUpResult> {
  const progress = options.progress ?? (() => undefined);
  const phases: Record<string, number> = {};
  const lap = phaseTimer(phases);
  const requirements = await checkHostRequirements(options.imageDir);
  const acceleration = chooseAcceleration(await probeAcceleration());
  options.announce?.(describeAcceleration(acceleration));
  // Verified before anything starts: a cluster is never created on a policy we would refuse.
  const measurements = await imageMeasurements(requirements.imageDir, options.releaseKeyFile);
  progress(
    `measurements of ${measurements.measurements.image.name} ${measurements.measurements.image.version} verified (PCRs ${Object.keys(measurements.measurements.pcrs).join(', ')})`,
  );
  await assertNoMiniCluster(options.workspace);
  await assertWorkspaceFree(options.workspace, 'mini');
  const cluster = await createMiniCluster({
    workspace: options.workspace,
    controlPlanes: options.controlPlanes,
    workers: options.workers,
    requirements,
    acceleration,
    progress,
  });
  lap('vms');
  await writeConfig(cluster.layout.workspace, miniConfig(cluster, measurements));
  await writeInfrastructureState(cluster.layout.workspace, cluster, 'qemu');
  progress(`workspace written: ${WORKSPACE_FILES.config}, ${WORKSPACE_FILES.state}`);
  const bootTimeoutMs = options.bootTimeoutMs ?? 600_000;
  await waitForNodes(cluster, ['serving-init'], { timeoutMs: bootTimeoutMs, progress });
  lap('boot');
  if (options.init === false) return { cluster, phases };
  const { init, verification } = await initAndVerify(options.workspace, {
    progress,
    lap,
    countProgress: () => milestoneCounts(cluster),
    waitForServices: (after) =>
      waitForNodes(cluster, ['services'], { after, timeoutMs: options.joinTimeoutMs ?? 300_000, progress }),
    servicesMessage: 'every node serves its services',
  });
  return { cluster, phases, init, verification };
}

/** The config of a VM cluster: the image's verified PCRs, the image's EK CA, the control-plane EKs, LUKS. */
export function miniConfig(cluster: MiniCluster, measurements: ImageMeasurements): ClusterConfig {
  return startedClusterConfig(cluster.layout.workspace, {
    name: 'mini',
    image: measurements.policy,
    ekRootsFile: cluster.ekRootsFile,
    ekIntermediatesFile: cluster.ekIntermediatesFile,
    nodes: cluster.nodes,
    stateDisk: 'luks',
  });
}

/** "1:2" → 1 control-plane node, 2 workers. */
export function parseNodes(text: string): { controlPlanes: number; workers: number } {
  const match = /^(\d{1,2}):(\d{1,2})$/.exec(text);
  const controlPlanes = Number(match?.[1]);
  const workers = Number(match?.[2]);
  if (match === null || controlPlanes < 1) {
    throw new UsageError(
      `--nodes: expected <control-planes>:<workers> with at least 1 control plane, like 1:2, found "${text}"`,
    );
  }
  return { controlPlanes, workers };
}

interface MiniUpFlags {
  readonly workspace: string;
  readonly nodes: string;
  readonly image: string;
  readonly releaseKey?: string;
  readonly init: boolean;
  readonly output: 'text' | 'json';
}

export function makeMiniUpCommand(io: CliIo, done: (code: ExitCode) => void): Command {
  return new Command('up')
    .description('Boot a cluster of QEMU VMs from the measured node image, then init it and verify every node')
    .option('--workspace <dir>', 'workspace directory', 'mini-cluster')
    .option('--nodes <cp:workers>', 'control-plane and worker nodes (the first control plane receives Init)', '1:2')
    .option('--image <dir>', 'the image build output (disk.raw, measurements.json, ek-ca/)', 'out/image')
    .option(
      '--release-key <pub.pem>',
      "public key that signed the image's measurements (default <image>/release-key.pub.pem)",
    )
    .option('--no-init', 'only boot the VMs and write the workspace; run constellation init yourself')
    .addOption(
      new Option('--output <format>', 'output format of the verify result').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', MINI_UP_HELP)
    .action(async (flags: MiniUpFlags) => {
      done(await runMiniUp(flags, io));
    });
}

const MINI_UP_HELP = `
Needs root (network namespace, bridge, taps), qemu-system-x86_64, qemu-img, OVMF, swtpm, swtpm_setup, ip and
dnsmasq; every missing piece is reported at once with the apt-get line. KVM is used only when the CPU offers
hardware virtualisation to standard guests; otherwise TCG (about 2 minutes to a verified 3-node cluster on
2 cores), said up front.

What it starts (under <workspace>/constellation-mini/, removed by 'constellation mini down'):
  - a network namespace constellation-mini-<id> with a bridge, one tap per VM and dnsmasq (static leases:
    node i gets 10.42.0.(10+i)), and a veth pair giving the host 10.42.0.1;
  - the metadata service on 10.42.0.1:8080 (untrusted, like a cloud's);
  - per node: swtpm (EK certificate from <image>/ek-ca), QEMU with OVMF, a copy-on-write overlay over the
    read-only <image>/disk.raw and a 1 GiB sparse state disk the guest encrypts (LUKS2).

The config's PCR policy is <image>/measurements.json, used only after its signature verified with the release
key. Progress goes to stderr with elapsed times; the verify result to stdout. Logs per node:
constellation-mini/nodes/<node>/{console.log,milestones.log,qemu.log,swtpm.log}.

Examples:
  $ constellation mini up
  $ constellation mini up --nodes 1:0 --workspace ./one-vm
  $ constellation mini status
  $ constellation mini down`;

async function runMiniUp(flags: MiniUpFlags, io: CliIo): Promise<ExitCode> {
  const progress = elapsedProgress(io.stderr);
  try {
    const { controlPlanes, workers } = parseNodes(flags.nodes);
    const { verification: report } = await miniUp({
      workspace: flags.workspace,
      controlPlanes,
      workers,
      imageDir: flags.image,
      init: flags.init,
      progress,
      announce: (line) => io.stderr.write(`${line}\n`),
      ...(flags.releaseKey === undefined ? {} : { releaseKeyFile: flags.releaseKey }),
    });
    if (report === undefined) {
      progress("nodes serve Init; run 'constellation init' next");
      return ExitCode.OK;
    }
    return writeVerifyReport(io, report, flags.output);
  } catch (error) {
    return reportError(io, error, 'constellation mini up --help');
  }
}

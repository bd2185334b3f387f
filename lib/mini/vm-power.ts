// `mini stop` / `mini start`: power VMs of a cluster off (ACPI power button: the guest shuts down in order, its
// TPM gets TPM2_Shutdown, its state disk is closed) and on again, keeping everything that makes the node itself:
// its TPM state (EK), its firmware NVRAM, its state disk and its boot overlay. A started node boots afresh (new
// PCRs) and, with an initialised state disk, rejoins or waits for recovery. `kernelCommandLine` boots it from a
// variant of the image's disk with another command line (boot-variant.ts): a tampered node.
import { InputError } from '../errors.js';
import { makeBootVariant, setBootBacking } from './boot-variant.js';
import { openMiniCluster } from './mini-cluster.js';
import type { MiniLayout } from './mini-layout.js';
import type { MiniNode, MiniRecord } from './mini-record.js';
import { readMilestones } from './milestones.js';
import { powerOffVm, powerOnVm, readVmSpec, vmRunning } from './vm-launcher.js';

/** How long a guest gets to shut down after the power button before QEMU is terminated (TCG is slow). */
export const ACPI_SHUTDOWN_GRACE_MS = 180_000;

export interface PowerReport {
  readonly name: string;
  readonly outcome: 'not-running' | 'shut-down' | 'terminated' | 'killed' | 'started' | 'already-running';
  /** Milestones the node had reported before it was powered on (wait for the ones after). */
  readonly milestonesBefore?: number;
  /** The command line it boots with when it is not the image's. */
  readonly kernelCommandLine?: string;
}

/** The named nodes of the cluster, in record order; all of them when `names` is empty. */
export function selectNodes(record: MiniRecord, names: readonly string[]): MiniNode[] {
  if (names.length === 0) return [...record.nodes];
  const unknown = names.filter((name) => !record.nodes.some((node) => node.name === name));
  if (unknown.length > 0) {
    throw new InputError(
      'MINI_NODE_UNKNOWN',
      `Expected node names of this cluster (${record.nodes.map((node) => node.name).join(', ')}), found ${unknown.join(', ')}`,
    );
  }
  return record.nodes.filter((node) => names.includes(node.name));
}

/** Powers the nodes off in parallel; each gets the ACPI grace period to shut down in order. */
export async function stopMiniNodes(
  workspace: string,
  names: readonly string[],
  options: { graceMs?: number; progress?: (message: string) => void } = {},
): Promise<PowerReport[]> {
  const { layout, record } = await openMiniCluster(workspace);
  const nodes = selectNodes(record, names);
  return Promise.all(
    nodes.map(async (node): Promise<PowerReport> => {
      const outcome = await powerOffVm(layout.node(node.name).dir, options.graceMs ?? ACPI_SHUTDOWN_GRACE_MS);
      const described = {
        'not-running': 'was not running',
        'shut-down': 'shut down in order (ACPI power button)',
        terminated: 'did not shut down in time: QEMU terminated',
        killed: 'did not shut down in time: QEMU killed',
      }[outcome];
      options.progress?.(`${node.name}: ${described}`);
      return { name: node.name, outcome };
    }),
  );
}

/** Powers the nodes on (one after the other: each start is quick, the boots run in parallel). */
export async function startMiniNodes(
  workspace: string,
  names: readonly string[],
  options: { kernelCommandLine?: string; progress?: (message: string) => void } = {},
): Promise<PowerReport[]> {
  const { layout, record } = await openMiniCluster(workspace);
  const nodes = selectNodes(record, names);
  const reports: PowerReport[] = [];
  for (const node of nodes) reports.push(await startNode(layout, record, node, options));
  return reports;
}

async function startNode(
  layout: MiniLayout,
  record: MiniRecord,
  node: MiniNode,
  options: { kernelCommandLine?: string; progress?: (message: string) => void },
): Promise<PowerReport> {
  const vm = layout.node(node.name);
  if ((await vmRunning(vm.dir)) !== undefined) {
    options.progress?.(`${node.name}: already running`);
    return { name: node.name, outcome: 'already-running' };
  }
  const spec = await readVmSpec(vm.dir);
  if (options.kernelCommandLine === undefined) {
    await setBootBacking(vm, spec.baseDisk);
  } else {
    options.progress?.(`${node.name}: building a boot disk with kernel command line "${options.kernelCommandLine}"`);
    await setBootBacking(vm, await makeBootVariant(record.imageDir, options.kernelCommandLine, vm));
  }
  const milestonesBefore = (await readMilestones(vm.milestonesLog)).length;
  const on = await powerOnVm(vm.dir);
  options.progress?.(`${node.name}: powered on (QEMU pid ${String(on.qemuPid)}, boot ${String(on.boot)})`);
  return {
    name: node.name,
    outcome: 'started',
    milestonesBefore,
    ...(options.kernelCommandLine === undefined ? {} : { kernelCommandLine: options.kernelCommandLine }),
  };
}

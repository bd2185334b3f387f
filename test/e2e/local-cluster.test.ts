// The local process cluster end to end (issue 6 acceptance): 1 control-plane node and 2 workers, each a machine
// process with its own swtpm on its own loopback address, a host-side metadata service, the real Bootstrapper,
// and the CLI's init, verify and recover as library calls. One cluster goes through every case in order:
// refusals before init, an init killed mid-way, init, joins, verify (PCR 15 = the cluster measurement), a worker
// restart, a tampered worker, a full shutdown with recovery, and `local down` leaving nothing behind.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { clusterMeasurement, generateMasterSecret, writeMasterSecret } from '../../lib/crypto/index.js';
import { InputError } from '../../lib/errors.js';
import { NodeRefusedError, NodeUnreachableError } from '../../cli/node-errors.js';
import { clusterLayout } from '../../lib/local-cluster/cluster-layout.js';
import { signalClusterSync } from '../../lib/local-cluster/last-resort-stop.js';
import {
  nodeEventCount,
  startNode,
  stopNode,
  waitForMilestone,
  type LocalCluster,
  type LocalNetwork,
} from '../../lib/local-cluster/local-cluster.js';
import { readNodeEvents, waitForNodeEvent } from '../../lib/local-cluster/node-events.js';
import { commandLineContains, readPidFile } from '../../lib/local-cluster/owned-process.js';
import { initCluster } from '../../cli/commands/init.js';
import { localDown } from '../../cli/commands/local-down.js';
import { eventCounts, startLocalCluster, waitForServices } from '../../cli/commands/local-up.js';
import { recoverCluster } from '../../cli/commands/recover.js';
import { verifyCluster } from '../../cli/commands/verify.js';
import { readConfig } from '../../cli/workspace/config.js';
import { workspacePath } from '../../cli/workspace/files.js';
import { readState, writeState } from '../../cli/workspace/state.js';

process.env.TSS2_LOG ??= 'all+NONE';
// Bringing up and restarting three nodes several times takes about a minute on a quiet 2-core machine.
t.setTimeout(400_000);

// Not the default 127.42.0.x: other suites use those addresses and the Bootstrapper's ports are fixed.
const network: LocalNetwork = {
  metadataHost: '127.42.60.1',
  metadataPort: 8080,
  nodeHost: (index) => `127.42.60.${String(10 + index)}`,
};
const workspace = await mkdtemp(join(tmpdir(), 'local-e2e-'));
const layout = clusterLayout(workspace);
t.teardown(async () => {
  await localDown({ workspace, deleteMasterSecret: true });
  await rm(workspace, { recursive: true, force: true });
});
// If the runner kills this file (timeout), teardown does not run: still power the machines off.
process.once('exit', () => {
  signalClusterSync(workspace);
});

const CP = 'control-plane-0';
const WORKERS = ['worker-0', 'worker-1'];
const ALL = [CP, ...WORKERS];
let cluster: LocalCluster;
let clusterId = '';

const noProgress = (): void => undefined;
const milestone = (node: string, event: string, after: number, timeoutMs = 60_000) =>
  waitForMilestone(workspace, node, event, { after, timeoutMs });

/** Events of `node` after `after` whose source and name match. */
async function eventsSince(node: string, after: number, event: string) {
  return (await readNodeEvents(layout.node(node).events)).slice(after).filter((e) => e.event === event);
}

/** Every pid file of the cluster with the marker that proves the process is ours. */
async function ownedPids(): Promise<{ pid: number; marker: string }[]> {
  const found: { pid: number; marker: string }[] = [];
  const add = async (file: string, marker: string): Promise<void> => {
    const pid = await readPidFile(file);
    if (pid !== undefined) found.push({ pid, marker });
  };
  await add(layout.metadataPidFile, layout.inventoryFile);
  for (const name of ALL) {
    const node = layout.node(name);
    await add(node.machinePidFile, node.specFile);
    await add(node.bootstrapperPidFile, node.stateDir);
    await add(node.swtpmPidFile, node.tpmDir);
  }
  return found;
}

/** The first line matching `pattern` that `path` gains after byte `from` (a log being written). */
async function logLine(path: string, from: number, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readFile(path, 'utf8'))
      .slice(from)
      .split('\n')
      .find((line) => pattern.test(line));
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`expected a line matching ${String(pattern)} in ${path} within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The directory state disk's header (UUID, status, key check: an HMAC under the disk key, never the key). */
async function diskHeader(node: string): Promise<{ uuid: string; status: string; keyCheck: string }> {
  return JSON.parse(await readFile(join(layout.node(node).stateDir, 'disk', 'disk-header.json'), 'utf8')) as {
    uuid: string;
    status: string;
    keyCheck: string;
  };
}

t.test('local up starts a metadata service and three machines, and writes the workspace', async (t) => {
  const up = await startLocalCluster({ workspace, network, controlPlanes: 1, workers: 2, progress: noProgress });
  cluster = up.cluster;
  t.same(
    cluster.nodes.map((node) => [node.name, node.role, node.address]),
    [
      [CP, 'control-plane', '127.42.60.10'],
      ['worker-0', 'worker', '127.42.60.11'],
      ['worker-1', 'worker', '127.42.60.12'],
    ],
  );
  const config = await readConfig(workspace);
  t.same(config.controlPlaneEks, [cluster.nodes[0]?.ekFingerprint], 'only the control-plane EK may take that role');
  t.equal(config.stateDisk, 'none');
  t.match(
    config.attestation.policy,
    { tpm: { pcrs: { sha256: { 4: {}, 8: {}, 11: {} } } } },
    'the image PCRs are pinned',
  );
  const state = await readState(workspace);
  t.equal(state.infrastructure.initEndpoint, '127.42.60.10:9000');
  t.equal(state.infrastructure.initSecret, cluster.initSecret.toString('hex'));
  t.equal(state.cluster, undefined);
  for (const name of ALL) await milestone(name, 'serving-init', 0);
  t.pass('every fresh node serves Init (and tries to join)');
});

t.test('a second local up is refused and changes nothing', async (t) => {
  const before = await readFile(workspacePath(workspace, 'config'), 'utf8');
  await t.rejects(startLocalCluster({ workspace, network, progress: noProgress }), {
    constructor: InputError,
    code: 'LOCAL_CLUSTER_EXISTS',
  });
  t.equal(await readFile(workspacePath(workspace, 'config'), 'utf8'), before);

  const other = await mkdtemp(join(tmpdir(), 'local-e2e-other-'));
  t.teardown(() => rm(other, { recursive: true, force: true }));
  await writeMasterSecret(workspacePath(other, 'masterSecret'), generateMasterSecret());
  await t.rejects(startLocalCluster({ workspace: other, network, progress: noProgress }), {
    constructor: InputError,
    code: 'WORKSPACE_FILE_EXISTS',
    message: /constellation-mastersecret\.json/,
  });
  t.same(await readdir(other), ['constellation-mastersecret.json'], 'nothing was created next to it');
});

t.test('a wrong init secret is refused before anything else, without node logs', async (t) => {
  const state = await readState(workspace);
  const after = await nodeEventCount(workspace, CP);
  await writeState(
    workspace,
    { ...state, infrastructure: { ...state.infrastructure, initSecret: 'ab'.repeat(32) } },
    { overwrite: true },
  );
  const messages: string[] = [];
  try {
    await t.rejects(initCluster({ workspace, progress: (m) => messages.push(m) }), {
      constructor: NodeRefusedError,
      code: 'INIT_SECRET_INVALID',
    });
  } finally {
    await writeState(workspace, state, { overwrite: true });
  }
  t.same(
    messages.filter((m) => m.startsWith('[')),
    [],
    'no progress (log) message came from the node',
  );
  t.same(await eventsSince(CP, after, 'rebooting'), [], 'the node did not reboot: it still serves Init');
  t.equal((await readState(workspace)).cluster, undefined);
});

t.test('an init interrupted by the admin leaves a workspace that a rerun can use', async (t) => {
  const controller = new AbortController();
  await t.rejects(
    initCluster({
      workspace,
      signal: controller.signal,
      progress: (message) => {
        if (message.startsWith('Connecting')) controller.abort(new Error('interrupted by the test'));
      },
    }),
  );
  t.ok(existsSync(workspacePath(workspace, 'masterSecret')), 'the master secret is kept for the rerun');
  t.equal((await readState(workspace)).cluster, undefined, 'no cluster values were recorded');
  t.notOk(existsSync(workspacePath(workspace, 'adminConf')));
});

t.test('the Bootstrapper killed during Init: the machine reboots, the node is fresh, init works again', async (t) => {
  const after = await nodeEventCount(workspace, CP);
  const bootstrapper = await readPidFile(layout.node(CP).bootstrapperPidFile);
  t.ok(bootstrapper !== undefined);
  let killed = false;
  await t.rejects(
    initCluster({
      workspace,
      progress: (message) => {
        // The first progress the node streams: its node lock is taken and Init is under way.
        if (!killed && message.startsWith('[')) {
          killed = true;
          process.kill(bootstrapper ?? -1, 'SIGKILL');
        }
      },
    }),
  );
  t.ok(killed, 'the kill landed during Init');
  const reboot = await waitForNodeEvent(
    layout.node(CP).events,
    (event) => event.event === 'rebooting',
    'the machine to reboot',
    { after },
  );
  t.equal(reboot.signal, 'SIGKILL');
  const serving = await milestone(CP, 'serving-init', after);
  t.ok(serving.boot > reboot.boot, 'after the reboot the node serves Init again: it is fresh');
  t.not((await diskHeader(CP)).status, 'initialized', 'the killed Init never bound the disk');

  const before = await eventCounts(workspace, cluster);
  const result = await initCluster({ workspace, progress: noProgress });
  t.ok(result.reusedMasterSecret, 'the rerun used the master secret of the interrupted inits');
  clusterId = result.clusterId;
  const initialized = await milestone(CP, 'initialized', before[CP] ?? 0);
  t.equal(initialized.clusterId, clusterId);
  await Promise.all(WORKERS.map((name) => milestone(name, 'joined', before[name] ?? 0)));
  await waitForServices(workspace, cluster, before);
  t.pass('both workers joined and every node serves');
});

t.test('verify passes on every node and PCR 15 is the cluster measurement', async (t) => {
  const report = await verifyCluster({ workspace });
  t.equal(report.exitCode, 0, JSON.stringify(report.nodes.map((n) => [n.node.name, n.status, n.error, n.violations])));
  const expected = clusterMeasurement(Buffer.from(clusterId, 'hex')).toString('hex');
  t.equal(report.expectedPcr15, expected);
  t.same(
    report.nodes.map((n) => n.node.name),
    ALL,
  );
  for (const node of report.nodes) {
    const pcr15 = node.pcrs.find((row) => row.bank === 'sha256' && row.index === 15);
    t.equal(pcr15?.actual, expected, `${node.node.name}: PCR 15 = clusterMeasurement(clusterId)`);
    t.ok(
      node.pcrs.filter((row) => row.expected.length > 0).every((row) => row.ok === true),
      `${node.node.name}: every pinned PCR matches`,
    );
  }
});

t.test('a second init is refused', async (t) => {
  await t.rejects(initCluster({ workspace, progress: noProgress }), {
    constructor: InputError,
    code: 'CLUSTER_ALREADY_INITIALIZED',
  });
  // Straight to the node, from a workspace that does not know the cluster: the initialised node refuses too.
  const other = await mkdtemp(join(tmpdir(), 'local-e2e-second-init-'));
  t.teardown(() => rm(other, { recursive: true, force: true }));
  const config = (await readFile(workspacePath(workspace, 'config'), 'utf8')).replaceAll(
    'constellation-local/',
    `${layout.dir}/`,
  );
  await writeFile(workspacePath(other, 'config'), config);
  const state = await readState(workspace);
  await writeState(other, { version: 1, infrastructure: state.infrastructure });
  // Its Init server closed for good when Init succeeded: nothing listens there any more.
  await t.rejects(initCluster({ workspace: other, progress: noProgress, waitMs: 1000 }), {
    constructor: NodeUnreachableError,
    code: 'NODE_UNREACHABLE',
  });
  t.notOk(existsSync(workspacePath(other, 'adminConf')));
});

t.test('a restarted worker rejoins with the same disk key', async (t) => {
  const header = await diskHeader('worker-0');
  t.equal(header.status, 'initialized');
  const after = await nodeEventCount(workspace, 'worker-0');
  t.equal(await stopNode(workspace, 'worker-0'), 'terminated');
  await startNode(workspace, 'worker-0');
  await milestone('worker-0', 'rejoined', after);
  await milestone('worker-0', 'services', after);
  t.same(await diskHeader('worker-0'), header, 'same disk UUID and key check: the same disk key opened it');
  const report = await verifyCluster({ workspace, nodes: ['worker-0'] });
  t.equal(report.exitCode, 0);
});

t.test(
  'a worker booted with a changed kernel command line cannot rejoin; verify names the PCR and the event',
  async (t) => {
    const node = 'worker-1';
    await stopNode(workspace, node);
    const after = await nodeEventCount(workspace, node);
    const log = layout.node(node).bootstrapperLog;
    const logBefore = (await readFile(log, 'utf8')).length;
    await startNode(workspace, node, { kernelCommandLine: 'console=ttyS0 init=/bin/sh' });
    // Attestation is mutual: the worker refuses a JoinService that runs another image than its own (and the
    // JoinService would refuse the worker's PCRs). Either way the worker keeps retrying and never rejoins.
    const refusal = await logLine(log, logBefore, /not joined yet, retrying/, 30_000);
    t.match(refusal, /PCR\[(4|8|11)\]/, 'the refusal names a boot PCR');
    t.same(await eventsSince(node, after, 'rejoined'), [], 'not rejoined');

    const report = await verifyCluster({ workspace, nodes: [node] });
    t.not(report.exitCode, 0, 'verify does not accept the tampered node');
    const verified = report.nodes[0];
    // The Bootstrapper serves attestation from boot, so verify reaches a node that is never let in.
    const wrong = verified?.pcrs.filter((row) => row.ok === false).map((row) => row.index) ?? [];
    t.ok(
      [4, 8, 11].every((pcr) => wrong.includes(pcr)),
      `PCRs 4 (UKI), 8 and 11 (command line) differ: ${wrong.join(', ')} (${verified?.status ?? ''} ${verified?.error?.code ?? ''})`,
    );
    const explained = verified?.mismatches.find((m) => m.index === 8);
    t.ok(
      explained?.events.some((event) => event.type === 'EV_IPL' && event.description.includes('init=/bin/sh')),
      'the mismatch shows the event that measured the changed command line',
    );

    // Booted with the image again, it rejoins.
    const again = await nodeEventCount(workspace, node);
    await stopNode(workspace, node);
    await startNode(workspace, node);
    await milestone(node, 'rejoined', again);
    await milestone(node, 'services', again);
  },
);

t.test('after a full shutdown, recover brings the control plane back and the workers rejoin', async (t) => {
  await Promise.all(ALL.map((name) => stopNode(workspace, name)));
  const after = await eventCounts(workspace, cluster);
  await Promise.all(ALL.map((name) => startNode(workspace, name)));
  await milestone(CP, 'waiting-for-recovery', after[CP] ?? 0);

  // A wrong master secret: refused, the node keeps waiting (no reboot, nothing changed).
  const secretPath = workspacePath(workspace, 'masterSecret');
  const header = await diskHeader(CP);
  await rename(secretPath, `${secretPath}.real`);
  try {
    await writeMasterSecret(secretPath, generateMasterSecret());
    const refused = await recoverCluster({ workspace, progress: noProgress });
    t.equal(refused.recovered, 0);
    const outcome = refused.nodes[0];
    t.equal(outcome?.status, 'failed');
    t.match(outcome?.status === 'failed' ? outcome.error : undefined, { code: 'RECOVERY_KEY_REJECTED' });
  } finally {
    await rm(secretPath, { force: true });
    await rename(`${secretPath}.real`, secretPath);
  }
  t.same(await eventsSince(CP, after[CP] ?? 0, 'rebooting'), [], 'the control plane did not reboot');
  t.same(await diskHeader(CP), header, 'its disk is unchanged');

  const recovered = await recoverCluster({ workspace, progress: noProgress });
  t.equal(recovered.recovered, 1);
  await milestone(CP, 'recovered', after[CP] ?? 0);
  await Promise.all(WORKERS.map((name) => milestone(name, 'rejoined', after[name] ?? 0)));
  await Promise.all(ALL.map((name) => milestone(name, 'services', after[name] ?? 0)));
  const report = await verifyCluster({ workspace });
  t.equal(report.exitCode, 0, JSON.stringify(report.nodes.map((n) => [n.node.name, n.status, n.error, n.violations])));
});

t.test('local down stops every process and removes everything but the master secret', async (t) => {
  const pids = await ownedPids();
  t.ok(pids.length >= 1 + 3 * 3, 'metadata + machine, Bootstrapper and swtpm of each node');
  const report = await localDown({ workspace });
  t.same(await readdir(workspace), ['constellation-mastersecret.json'], 'only the master secret is left');
  t.same(
    report.kept.map((kept) => kept.path),
    [workspacePath(workspace, 'masterSecret')],
  );
  for (const { pid, marker } of pids) t.notOk(await commandLineContains(pid, marker), `pid ${String(pid)} is gone`);
  t.same(await localDown({ workspace }), { stopped: [], removed: [], kept: [] }, 'a second down finds nothing');
});

// init, verify and recover against nodes with real swtpms, real measured-boot event logs and real TLS/gRPC
// (fake-node.ts stands in for the Bootstrapper's servers). Checks the security-relevant behaviour: the node is
// attested (AK activation + policy, PCR 15 = 0) before secrets go out, a wrong init secret or recovery key is
// refused with the right class and code, the workspace stays rerunnable, verify shows which PCR and event differ.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagePolicy, localImage, DEFAULT_KERNEL_COMMAND_LINE } from '../../../lib/boot/index.js';
import { clusterMeasurement, readMasterSecret } from '../../../lib/crypto/index.js';
import { ConstellationError, InputError, PolicyError, VerificationError } from '../../../lib/errors.js';
import { ATLS_SERVER_NOT_ATTESTED, createAttestedIdentity } from '../../../lib/atls/index.js';
import { initCluster } from '../../../cli/commands/init.js';
import { recoverCluster, renderRecoverText } from '../../../cli/commands/recover.js';
import { verifyCluster } from '../../../cli/commands/verify.js';
import { renderVerifyJson, renderVerifyText } from '../../../cli/cluster/verify-output.js';
import { ExitCode, exitCodeForError } from '../../../cli/exit-codes.js';
import { NodeRefusedError, NodeUnreachableError } from '../../../cli/node-errors.js';
import { runCli } from '../../../cli/main.js';
import { defaultConfig, writeConfig, type ClusterConfig } from '../../../cli/workspace/config.js';
import { readIdFile } from '../../../cli/workspace/id-file.js';
import { readState, writeState, type WorkspaceState } from '../../../cli/workspace/state.js';
import { testCa } from '../../helpers/swtpm.js';
import { fakeIo } from '../../unit/cli/fake-io.js';
import { bootFakeNode, startInitServer, startRecoverServer, startVerificationServer } from './fake-node.js';

const HOST_A = '127.42.0.201';
const HOST_B = '127.42.0.202';
const HOST_C = '127.42.0.203';
const HOST_NONE = '127.42.0.204';

const dir = await mkdtemp(join(tmpdir(), 'cli-cluster-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const ca = await testCa();

const nodeA = await bootFakeNode(t, dir);
const nodeB = await bootFakeNode(t, dir, `${DEFAULT_KERNEL_COMMAND_LINE} debug`);
const nodeC = await bootFakeNode(t, dir);

const policy = { ...imagePolicy(localImage()), akTrust: ['credential-activation'] };

async function workspaceWith(name: string, initEndpoint: string, initSecret: Buffer): Promise<string> {
  const workspace = join(dir, name);
  await mkdir(workspace);
  await writeFile(join(workspace, 'ek-roots.pem'), await ca.rootPem());
  await writeFile(join(workspace, 'ek-intermediates.pem'), await ca.intermediatePem());
  const base = defaultConfig();
  const config: ClusterConfig = {
    ...base,
    name: 'test-cluster',
    stateDisk: 'none',
    attestation: { ...base.attestation, policy, ekIntermediates: 'ek-intermediates.pem' },
  };
  await writeConfig(workspace, config);
  await writeState(workspace, stateFor(initEndpoint, initSecret));
  return workspace;
}

function stateFor(initEndpoint: string, initSecret: Buffer): WorkspaceState {
  return {
    version: 1,
    infrastructure: {
      provider: 'local',
      initEndpoint,
      metadataUrl: 'http://127.42.0.1:8080',
      initSecret: initSecret.toString('hex'),
      nodes: [
        { name: 'node-a', role: 'control-plane', address: HOST_A },
        { name: 'node-b', role: 'worker', address: HOST_B },
        { name: 'node-c', role: 'control-plane', address: HOST_C },
      ],
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const initSecret = randomBytes(32);
const initAddress = await startInitServer(t, nodeA, HOST_A, { initSecret });
const workspace = await workspaceWith('main', initAddress, initSecret);
const progress: string[] = [];

t.test('init: a wrong init secret is refused, the master secret stays and a rerun reuses it', async (t) => {
  await writeState(workspace, stateFor(initAddress, randomBytes(32)), { overwrite: true });
  const error = await rejection(initCluster({ workspace, progress: (m) => progress.push(m), waitMs: 0 }));
  t.ok(error instanceof NodeRefusedError, 'NodeRefusedError');
  t.equal((error as ConstellationError).code, 'INIT_SECRET_INVALID');
  t.equal(exitCodeForError(error), ExitCode.NODE_REFUSED);
  const secretPath = join(workspace, 'constellation-mastersecret.json');
  t.equal((await stat(secretPath)).mode & 0o777, 0o600, 'master secret written first, mode 0600');
  const firstSecret = await readMasterSecret(secretPath);
  t.equal((await readState(workspace)).cluster, undefined, 'no cluster values');
  await t.rejects(stat(join(workspace, 'constellation-admin.conf')), { code: 'ENOENT' });

  await writeState(workspace, stateFor(initAddress, initSecret), { overwrite: true });
  const result = await initCluster({ workspace, progress: (m) => progress.push(m), waitMs: 0 });
  t.equal(result.reusedMasterSecret, true, 'the interrupted init’s master secret is reused');
  t.same(await readMasterSecret(secretPath), firstSecret, 'master secret unchanged');
  t.equal(result.nodeName, 'node-a');
  t.match(result.clusterId, /^[0-9a-f]{64}$/);
  const state = await readState(workspace);
  t.equal(state.cluster?.clusterId, result.clusterId, 'cluster values in the state file');
  t.equal((await readIdFile(workspace)).clusterId, result.clusterId, 'constellation-id.json');
  t.equal((await stat(result.files.adminConf)).mode & 0o777, 0o600, 'admin kubeconfig 0600');
  t.equal((await stat(result.files.state)).mode & 0o777, 0o600, 'state (init secret) 0600');
  t.ok(
    progress.some((m) => m.includes('[disk] state disk prepared')),
    'node progress forwarded',
  );
  t.notOk(progress.join('\n').includes(initSecret.toString('hex')), 'init secret never in progress');
});

t.test('init: a second init in the same workspace is refused before contacting the node', async (t) => {
  const error = await rejection(initCluster({ workspace, progress: () => undefined, waitMs: 0 }));
  t.ok(error instanceof InputError, 'InputError');
  t.equal((error as ConstellationError).code, 'CLUSTER_ALREADY_INITIALIZED');
  const io = fakeIo();
  t.equal(await runCli(['init', '--workspace', workspace], io), ExitCode.USAGE);
  t.match(io.err(), /already initialised/);
});

t.test('init: a node whose PCR 15 is not zero (already in a cluster) is not sent any secret', async (t) => {
  let contacted = false;
  const again = await startInitServer(t, nodeA, HOST_A, { initSecret, onInit: () => (contacted = true) });
  const other = await workspaceWith('second', again, initSecret);
  const error = await rejection(initCluster({ workspace: other, progress: () => undefined, waitMs: 0 }));
  t.ok(error instanceof PolicyError, 'PolicyError');
  t.equal((error as ConstellationError).code, 'POLICY_VIOLATION');
  t.match((error as PolicyError).violations.join('\n'), /PCR\[15\]/);
  t.equal(contacted, false, 'Init never called');
});

t.test('init: a node whose EK does not chain to the workspace roots gets nothing', async (t) => {
  let contacted = false;
  const fresh = await startInitServer(t, nodeC, HOST_C, { initSecret, onInit: () => (contacted = true) });
  const ws = await workspaceWith('foreign-roots', fresh, initSecret);
  const foreign = await createAttestedIdentity();
  await writeFile(join(ws, 'ek-roots.pem'), foreign.certPem);
  const error = await rejection(initCluster({ workspace: ws, progress: () => undefined, waitMs: 0 }));
  t.ok(error instanceof VerificationError, 'VerificationError');
  t.equal((error as ConstellationError).code, ATLS_SERVER_NOT_ATTESTED);
  t.equal(exitCodeForError(error), ExitCode.VERIFICATION_FAILED);
  t.equal(contacted, false, 'Init never called');
  await writeFile(join(ws, 'ek-roots.pem'), 'no certificate here\n');
  await t.rejects(initCluster({ workspace: ws, progress: () => undefined, waitMs: 0 }), {
    code: 'CONFIG_INVALID',
    message: /attestation\.ekRoots: expected PEM certificates/,
  });
});

t.test('init: a node failure is reported with its code and the workspace can be rerun', async (t) => {
  const failing = await startInitServer(t, nodeC, HOST_C, {
    initSecret,
    failWith: { code: 'DISK_PREPARE_FAILED', message: 'expected a blank disk, found garbage' },
  });
  const ws = await workspaceWith('failing', failing, initSecret);
  const error = await rejection(initCluster({ workspace: ws, progress: () => undefined, waitMs: 0 }));
  t.ok(error instanceof NodeRefusedError, 'NodeRefusedError');
  t.equal((error as ConstellationError).code, 'DISK_PREPARE_FAILED');
  t.match((error as Error).message, /expected a blank disk, found garbage/);
  t.equal((await readState(ws)).cluster, undefined, 'state unchanged');
});

t.test('init: nothing listening → NodeUnreachableError after the wait', async (t) => {
  const ws = await workspaceWith('unreachable', `${HOST_NONE}:9000`, initSecret);
  const error = await rejection(initCluster({ workspace: ws, progress: () => undefined, waitMs: 300 }));
  t.ok(error instanceof NodeUnreachableError, 'NodeUnreachableError');
  t.equal((error as ConstellationError).code, 'NODE_UNREACHABLE');
  t.equal(exitCodeForError(error), ExitCode.NODE_UNREACHABLE);
});

t.test(
  'verify: the initialised node verifies; a node with another kernel command line shows PCRs and events',
  async (t) => {
    const a = await startVerificationServer(t, nodeA, `${HOST_A}:0`);
    const port = Number(a.split(':')[1]);
    await startVerificationServer(t, nodeB, `${HOST_B}:${port}`);
    const report = await verifyCluster({ workspace, nodes: ['node-a', HOST_B, 'node-c'], port });
    const id = await readIdFile(workspace);
    t.equal(report.expectedPcr15, clusterMeasurement(Buffer.from(id.clusterId, 'hex')).toString('hex'));
    const [nodeAResult, nodeBResult, nodeCResult] = report.nodes;
    t.equal(nodeAResult?.status, 'verified', JSON.stringify(nodeAResult?.error ?? nodeAResult?.violations));
    t.equal(nodeAResult?.pcrs.find((row) => row.index === 15)?.ok, true, 'PCR 15 = cluster measurement');
    t.equal(nodeBResult?.status, 'policy-rejected');
    const differing = nodeBResult?.mismatches.map((m) => m.index) ?? [];
    t.ok(differing.includes(15), 'PCR 15 differs (no cluster)');
    const bootMismatch = nodeBResult?.mismatches.find((m) => m.index !== 15);
    t.ok(bootMismatch !== undefined && bootMismatch.events.length > 0, 'a boot PCR differs and its events are listed');
    t.ok(
      nodeBResult?.mismatches.some((m) => m.events.some((e) => e.description.includes('debug'))),
      'the event naming the changed command line is shown',
    );
    t.equal(nodeCResult?.status, 'unreachable');
    t.equal(report.exitCode, ExitCode.POLICY_REJECTED, 'the most serious outcome');
    const text = renderVerifyText(report);
    if (process.env['SHOW_VERIFY'] === '1') console.error(text);
    t.match(text, /node node-a \(.*\): verified/);
    t.match(text, /PCR 15 \(sha256\) differs/);
    const json = JSON.parse(renderVerifyJson(report)) as { nodes: { status: string }[]; exitCode: number };
    t.same(
      json.nodes.map((n) => n.status),
      ['verified', 'policy-rejected', 'unreachable'],
    );
    t.equal(json.exitCode, 4);
  },
);

t.test('recover: wrong master secret refused, right one accepted, none waiting reported', async (t) => {
  const secret = await readMasterSecret(join(workspace, 'constellation-mastersecret.json'));
  let expectedKey = randomBytes(32);
  const address = await startRecoverServer(t, nodeC, HOST_C, () => expectedKey);
  const port = Number(address.split(':')[1]);

  const refused = await recoverCluster({ workspace, progress: () => undefined, port });
  const failed = refused.nodes.find((o) => o.node.name === 'node-c');
  t.equal(failed?.status, 'failed');
  const error = failed?.status === 'failed' ? failed.error : undefined;
  t.ok(error instanceof NodeRefusedError, 'NodeRefusedError');
  t.equal((error as ConstellationError).code, 'RECOVERY_KEY_REJECTED');
  t.match((error as Error).message, /does not match this cluster/);
  t.equal(refused.nodes.find((o) => o.node.name === 'node-a')?.status, 'not-waiting');

  expectedKey = Buffer.from(secret.key);
  const accepted = await recoverCluster({ workspace, progress: () => undefined, port });
  t.equal(accepted.recovered, 1);
  t.match(renderRecoverText(accepted), /recovered node-b/);

  let called = false;
  const tampered = await startRecoverServer(t, nodeB, HOST_B, () => {
    called = true;
    return secret.key;
  });
  const ws = await workspaceWith('recover-tampered', initAddress, initSecret);
  await writeFile(
    join(ws, 'constellation-mastersecret.json'),
    await readFile(join(workspace, 'constellation-mastersecret.json')),
  );
  await writeState(
    ws,
    {
      ...stateFor(initAddress, initSecret),
      infrastructure: {
        ...stateFor(initAddress, initSecret).infrastructure,
        nodes: [{ name: 'node-b', role: 'control-plane', address: HOST_B }],
      },
    },
    { overwrite: true },
  );
  const rejected = await recoverCluster({
    workspace: ws,
    progress: () => undefined,
    port: Number(tampered.split(':')[1]),
  });
  const outcome = rejected.nodes[0];
  t.equal(outcome?.status, 'failed', 'a node with another image is not sent the master secret');
  t.ok(outcome?.status === 'failed' && outcome.error instanceof PolicyError, 'PolicyError');
  t.equal(called, false, 'Recover never called');

  const none = await recoverCluster({ workspace, progress: () => undefined, port: port === 1 ? 2 : 1 });
  t.equal(none.recovered, 0);
  t.match(renderRecoverText(none), /no node waiting for recovery/);
});

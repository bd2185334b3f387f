// bootNode with a real directory state disk and fakes for TPM, metadata, Kubernetes, join and the service hosts:
// which path a node takes, what it writes, when PCR 15 is extended, and that a failure after the lock resets the
// disk while a stop or a failure on an initialised disk never does.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { ConstellationError } from '../../../lib/errors.js';
import { auditLog, createLogger } from '../../../lib/log/index.js';
import { clusterMeasurementDigest, deriveClusterId } from '../../../lib/crypto/index.js';
import { directoryStateDisk } from '../../../lib/disk/index.js';
import { JoinTicket } from '../../../proto/gen/join.js';
import { bootNode, type BootDeps } from '../../../agents/bootstrapper/boot-state-machine.js';
import { NodeServices } from '../../../agents/bootstrapper/control-plane-services.js';
import { readNodeState } from '../../../agents/bootstrapper/node-state.js';
import type { Milestone, NodeMetadata } from '../../../agents/bootstrapper/ports.js';

const self: NodeMetadata = { name: 'worker-0', role: 'worker', address: '127.0.0.1' };
const controlPlane: NodeMetadata = { name: 'cp-0', role: 'control-plane', address: '127.0.0.2' };

function ticketFor(measurementSecret: Buffer, measurementSalt: Buffer, stateDiskKey: Buffer): JoinTicket {
  return JoinTicket.fromPartial({
    stateDiskKey,
    measurementSalt,
    measurementSecret,
    clusterId: deriveClusterId(measurementSecret, measurementSalt),
    apiServerEndpoint: '127.0.0.2:6443',
    token: 'token',
    discoveryTokenCaCertHash: 'sha256:00',
  });
}

function harness(t: Test, overrides: Partial<BootDeps> = {}, node: NodeMetadata = self, existingDir?: string) {
  // testdir() wipes the test's directory: a second boot of the same node reuses the first one's.
  const dir = existingDir ?? t.testdir();
  const extensions: { pcr: number; digest: Buffer }[] = [];
  const milestones: Milestone[] = [];
  const events: string[] = [];
  const quiet = process.env.DEBUG_BOOT === undefined;
  const logger = createLogger({
    name: 'test',
    level: quiet ? 'error' : 'debug',
    transport: 'stderr-json',
    ...(quiet ? { write: () => undefined } : {}),
  });
  const disk = directoryStateDisk({ dir: `${dir}/disk` });
  const markForReset = disk.markForReset.bind(disk);
  disk.markForReset = async () => {
    events.push('markForReset');
    await markForReset();
  };
  const services = new NodeServices({
    nodeAddress: node.address,
    startKeyService: () => Promise.resolve({ address: '127.0.0.1:1', close: () => Promise.resolve() }),
    startJoinService: () =>
      Promise.resolve({ address: `${node.address}:30090`, akName: '00', close: () => Promise.resolve() }),
    startVerificationService: () =>
      Promise.resolve({
        grpcAddress: `${node.address}:9090`,
        httpAddress: `${node.address}:8080`,
        close: () => Promise.resolve(),
      }),
  });
  t.teardown(() => services.close());
  const deps: BootDeps = {
    tpm: {
      pcrRead: () => Promise.resolve({ updateCounter: 0, values: { sha256: { 15: Buffer.alloc(32) } } }),
      pcrExtend: (pcr, digests) => {
        extensions.push({ pcr, digest: Buffer.from(digests.sha256 ?? []) });
        return Promise.resolve();
      },
    },
    attestation: {
      issue: () => {
        return Promise.reject(new Error('not attested in this test'));
      },
      activate: () => Promise.resolve(Buffer.alloc(0)),
      close: () => Promise.resolve(),
    },
    disk,
    metadata: {
      self: () => Promise.resolve(node),
      peers: () => Promise.resolve([node, controlPlane]),
      initSecretHash: () => Promise.resolve(randomBytes(32)),
    },
    kubernetes: {
      initCluster: () => {
        return Promise.reject(new Error('unused'));
      },
      joinCluster: () => {
        events.push('kubernetes.join');
        return Promise.resolve();
      },
      restart: () => {
        events.push('kubernetes.restart');
        return Promise.resolve();
      },
    },
    services,
    nodeAddress: node.address,
    join: () => {
      return Promise.reject(new Error('no JoinService in this test'));
    },
    rejoin: () => {
      return Promise.reject(new Error('no JoinService in this test'));
    },
    logger,
    audit: auditLog(logger),
    milestone: (milestone) => milestones.push(milestone),
    ports: { init: 0, recover: 0 },
    retryIntervalMs: 5,
    ...overrides,
  };
  return { deps, disk, extensions, milestones, events, dir };
}

t.test('fresh node: join wins, binds the disk, writes state, joins Kubernetes, extends PCR 15 last', async (t) => {
  const secret = randomBytes(32);
  const salt = randomBytes(32);
  const diskKey = randomBytes(32);
  const h = harness(t, {
    join: ({ addresses }) => {
      t.same(addresses, ['127.0.0.2:30090'], 'dials the control plane from metadata, not itself');
      return Promise.resolve({ role: 'worker' as const, ticket: ticketFor(secret, salt, diskKey) });
    },
  });
  const outcome = await bootNode(h.deps, new AbortController().signal);
  t.same(outcome, { kind: 'joined', role: 'worker' });
  const clusterId = deriveClusterId(secret, salt);
  t.same(h.extensions, [{ pcr: 15, digest: clusterMeasurementDigest(clusterId) }]);
  t.same(
    h.milestones.map((m) => m.event),
    ['serving-init', 'joined', 'services'],
  );
  t.match(h.milestones[2], { verification: '127.0.0.1:9090' });
  t.match(await readNodeState(h.disk.mountPoint), { role: 'worker', clusterId, measurementSalt: salt });
  t.same(h.events, ['kubernetes.join']);
  t.match(await h.disk.probe(), { status: 'initialized' });
  t.same(
    await h.disk.probe(),
    {
      status: 'initialized',
      uuid: ((await h.disk.probe()) as { uuid: string }).uuid,
      clusterHint: { measurementSalt: salt, clusterId },
    },
    'the public cluster hint is in the disk header',
  );
});

t.test('fresh node: a failure after the lock marks the disk for reset and is thrown', async (t) => {
  const h = harness(t, {
    join: () =>
      Promise.resolve({ role: 'worker', ticket: ticketFor(randomBytes(32), randomBytes(32), randomBytes(32)) }),
  });
  h.deps = {
    ...h.deps,
    kubernetes: {
      ...h.deps.kubernetes,
      joinCluster: () =>
        Promise.reject(
          new ConstellationError('KUBERNETES_JOIN_FAILED', 'Expected kubeadm join to succeed, found exit 1'),
        ),
    },
  };
  await t.rejects(bootNode(h.deps, new AbortController().signal), { code: 'KUBERNETES_JOIN_FAILED' });
  t.same(h.events, ['markForReset']);
  t.same(h.extensions, [], 'PCR 15 untouched');
  t.match(await h.disk.probe(), { status: 'pending' });
});

t.test('fresh node: a ticket whose cluster id does not follow from its secret is refused after the lock', async (t) => {
  const bad = ticketFor(randomBytes(32), randomBytes(32), randomBytes(32));
  bad.clusterId = randomBytes(32);
  const h = harness(t, { join: () => Promise.resolve({ role: 'worker', ticket: bad }) });
  await t.rejects(bootNode(h.deps, new AbortController().signal), { code: 'JOIN_TICKET_INVALID' });
  t.same(h.events, ['markForReset']);
});

t.test('stopping a waiting fresh node rejects with the stop reason and resets nothing', async (t) => {
  const h = harness(t, {
    metadata: {
      self: () => Promise.resolve(self),
      peers: () => Promise.resolve([self]),
      initSecretHash: () => Promise.resolve(randomBytes(32)),
    },
  });
  const controller = new AbortController();
  const boot = bootNode(h.deps, controller.signal);
  while (h.milestones.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort(new Error('SIGTERM'));
  await t.rejects(boot, { message: 'SIGTERM' });
  t.same(h.events, []);
});

t.test(
  'initialised worker: rejoins with the hint, opens the disk, checks the node state, extends PCR 15',
  async (t) => {
    const secret = randomBytes(32);
    const salt = randomBytes(32);
    const diskKey = randomBytes(32);
    const first = harness(t, {
      join: () => Promise.resolve({ role: 'worker', ticket: ticketFor(secret, salt, diskKey) }),
    });
    let freshHintWrites = 0;
    first.disk.writeClusterHint = () => {
      freshHintWrites += 1;
      return Promise.resolve();
    };
    await bootNode(first.deps, new AbortController().signal);
    await first.disk.close();
    t.equal(freshHintWrites, 0, 'a fresh node writes no separate hint');
    t.match(
      await directoryStateDisk({ dir: `${first.dir}/disk` }).probe(),
      { status: 'initialized', clusterHint: { measurementSalt: salt, clusterId: deriveClusterId(secret, salt) } },
      'it stored the hint with its disk key',
    );

    const rejoins: Buffer[] = [];
    const resumedDisk = directoryStateDisk({ dir: `${first.dir}/disk` });
    let hintWrites = 0;
    const writeClusterHint = resumedDisk.writeClusterHint.bind(resumedDisk);
    resumedDisk.writeClusterHint = (hint) => {
      hintWrites += 1;
      return writeClusterHint(hint);
    };
    const second = harness(
      t,
      {
        disk: resumedDisk,
        rejoin: ({ measurementSalt }) => {
          rejoins.push(measurementSalt);
          return Promise.resolve({ stateDiskKey: diskKey, measurementSecret: secret });
        },
      },
      self,
      first.dir,
    );
    const outcome = await bootNode(second.deps, new AbortController().signal);
    t.same(outcome, { kind: 'rejoined', role: 'worker' });
    t.same(rejoins, [salt]);
    t.same(second.extensions, [{ pcr: 15, digest: clusterMeasurementDigest(deriveClusterId(secret, salt)) }]);
    t.same(
      second.milestones.map((m) => m.event),
      ['waiting-to-rejoin', 'rejoined', 'services'],
    );
    t.same(second.events, ['kubernetes.restart']);
    t.equal(hintWrites, 0, 'the unchanged hint read with the probe is not written again');
  },
);

t.test(
  'initialised worker: a rejoin key that does not open the disk is refused and the node keeps waiting',
  async (t) => {
    const secret = randomBytes(32);
    const salt = randomBytes(32);
    const diskKey = randomBytes(32);
    const first = harness(t, {
      join: () => Promise.resolve({ role: 'worker', ticket: ticketFor(secret, salt, diskKey) }),
    });
    await bootNode(first.deps, new AbortController().signal);
    await first.disk.close();
    let calls = 0;
    const second = harness(
      t,
      {
        disk: directoryStateDisk({ dir: `${first.dir}/disk` }),
        rejoin: () => {
          calls += 1;
          return Promise.resolve({ stateDiskKey: calls < 3 ? randomBytes(32) : diskKey, measurementSecret: secret });
        },
      },
      self,
      first.dir,
    );
    const outcome = await bootNode(second.deps, new AbortController().signal);
    t.equal(outcome.kind, 'rejoined');
    t.equal(calls, 3);
    t.equal(second.extensions.length, 1);
  },
);

t.test('PCR 15 not zero at start is fatal before anything else', async (t) => {
  const h = harness(t, {
    tpm: {
      pcrRead: () => Promise.resolve({ updateCounter: 0, values: { sha256: { 15: randomBytes(32) } } }),
      pcrExtend: () => Promise.resolve(),
    },
  });
  await t.rejects(bootNode(h.deps, new AbortController().signal), {
    constructor: ConstellationError,
    code: 'PCR15_NOT_ZERO',
  });
  t.same(h.milestones, []);
});

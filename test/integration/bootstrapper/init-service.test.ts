// InitService over a real attested socket on a real swtpm: the secret first (no stream, only an audit line),
// the request shape before the lock, one Init at a time, progress then success with PCR 15 extended last, and a
// failure after the lock streamed as {code, message} with PCR 15 untouched.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ConstellationError } from '../../../lib/errors.js';
import { auditLog, createLogger } from '../../../lib/log/index.js';
import { clusterMeasurement, deriveClusterId, deriveMeasurementSecret } from '../../../lib/crypto/index.js';
import { Tpm } from '../../../native/tpm.js';
import { InitServiceService, type InitRequest } from '../../../proto/gen/init.js';
import { startAttestedServer } from '../../../agents/bootstrapper/attested-server.js';
import { initService } from '../../../agents/bootstrapper/init-service.js';
import { initializeCluster } from '../../../agents/bootstrapper/initialize-cluster.js';
import { loadNodeKeys, nodeAttestation } from '../../../agents/bootstrapper/node-attestation.js';
import { NodeLock } from '../../../agents/bootstrapper/node-lock.js';
import { readNodeState } from '../../../agents/bootstrapper/node-state.js';
import type { KubernetesLayer, StateDisk } from '../../../agents/bootstrapper/ports.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';
import { callInit, type NodeTrust } from './attested-client.js';

const initSecret = Buffer.from(randomBytes(16).toString('hex'));
const request = (): InitRequest => ({
  initSecret,
  masterKey: randomBytes(32),
  masterSalt: randomBytes(32),
  measurementSalt: randomBytes(32),
  clusterName: 'test',
  kubernetesConfig: Buffer.alloc(0),
  joinPolicyJson: Buffer.from(JSON.stringify({ attestation: {}, controlPlaneEks: [] })),
});

async function fixture(t: Test, kubernetes: Partial<KubernetesLayer> = {}) {
  const swtpm = await swtpmFor(t, { withEkCert: true, pcrBanks: ['sha256'] });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const ca = await testCa();
  const trust: NodeTrust = {
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
    pcr15: Buffer.alloc(32),
  };
  const lines: string[] = [];
  const logger = createLogger({
    name: 'bootstrapper',
    level: 'debug',
    transport: 'stderr-json',
    write: (line) => lines.push(line),
  });
  const mountPoint = t.testdir();
  const boundKeys: Buffer[] = [];
  const disk = {
    mountPoint,
    bindClusterKey: (key: Buffer) => {
      boundKeys.push(key);
      return Promise.resolve();
    },
  } as unknown as StateDisk;
  const lock = new NodeLock((pcr, digests) => tpm.pcrExtend(pcr, digests));
  const outcomes: { initialized: unknown[]; failed: unknown[] } = { initialized: [], failed: [] };
  let started = 0;
  const attestation = nodeAttestation(tpm, await loadNodeKeys(tpm), '/nonexistent/binary_bios_measurements');
  const server = await startAttestedServer({
    listen: { host: '127.0.0.1', port: 0 },
    service: InitServiceService,
    attestation,
    implementation: initService({
      initSecretHash: () => Promise.resolve(createHash('sha256').update(initSecret).digest()),
      lock,
      audit: auditLog(logger.child({ component: 'audit' })),
      initialize: (valid, holder, progress) =>
        initializeCluster(
          valid,
          holder,
          {
            disk,
            diskUuid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
            node: { name: 'cp-0', role: 'control-plane', address: '127.0.0.1' },
            kubernetes: {
              initCluster: () =>
                Promise.resolve({
                  kubeconfig: Buffer.from('apiVersion: v1\n'),
                  join: {
                    apiServerEndpoint: '127.0.0.1:6443',
                    token: 't',
                    discoveryTokenCaCertHash: 'h',
                    controlPlaneFiles: [],
                  },
                }),
              joinCluster: () => Promise.resolve(),
              restart: () => Promise.resolve(),
              ...kubernetes,
            },
            startKeyHolderServices: () => {
              started += 1;
              return Promise.resolve();
            },
          },
          progress,
        ),
      onInitialized: (success) => outcomes.initialized.push(success),
      onFailed: (error) => outcomes.failed.push(error),
    }),
  });
  t.teardown(async () => {
    await server.close(100);
    await attestation.close();
  });
  const pcr15 = async () => Buffer.from((await tpm.pcrRead({ sha256: [15] })).values.sha256?.[15] ?? []);
  return { server, trust, lines, lock, outcomes, boundKeys, mountPoint, pcr15, started: () => started };
}

t.test('a wrong init secret: PERMISSION_DENIED, nothing streamed, one audit line without the secret', async (t) => {
  const f = await fixture(t);
  const wrong = Buffer.from('wrong-secret-0123456789');
  const outcome = await callInit(f.server.address, f.trust, { ...request(), initSecret: wrong });
  t.equal(outcome.messages.length, 0);
  t.equal(outcome.error?.code, status.PERMISSION_DENIED);
  t.match(outcome.error?.details, /^INIT_SECRET_INVALID/);
  t.equal(f.lock.owner, undefined, 'the lock was not taken');
  t.equal(f.lines.length, 1);
  t.match(JSON.parse(f.lines[0] ?? '{}'), {
    audit: true,
    action: 'Init',
    outcome: 'denied',
    code: 'INIT_SECRET_INVALID',
  });
  t.notMatch(f.lines.join('\n'), wrong.toString());
  t.notMatch(f.lines.join('\n'), initSecret.toString());
  t.same(await f.pcr15(), Buffer.alloc(32));
});

t.test('a malformed request is refused before the lock; a correct one then initialises', async (t) => {
  const f = await fixture(t);
  const bad = await callInit(f.server.address, f.trust, { ...request(), measurementSalt: randomBytes(16) });
  t.equal(bad.error?.code, status.INVALID_ARGUMENT);
  t.match(bad.error?.details, /INIT_REQUEST_INVALID: measurement_salt/);
  t.equal(f.lock.owner, undefined);

  const good = request();
  const outcome = await callInit(f.server.address, f.trust, good);
  t.equal(outcome.error, undefined);
  const steps = outcome.messages.flatMap((message) => (message.progress === undefined ? [] : [message.progress.step]));
  t.same([...new Set(steps)], ['keys', 'node-state', 'kubernetes', 'services', 'disk', 'measurement']);
  const success = outcome.messages.at(-1)?.success;
  const clusterId = deriveClusterId(
    deriveMeasurementSecret({ key: good.masterKey, salt: good.masterSalt }),
    good.measurementSalt,
  );
  t.same(success?.clusterId, clusterId);
  t.equal(success?.nodeName, 'cp-0');
  t.equal(success?.ownerId.length, 32);
  t.same(await f.pcr15(), clusterMeasurement(clusterId), 'PCR 15 = clusterMeasurement(clusterId)');
  t.equal(f.boundKeys.length, 1);
  t.equal(f.started(), 1);
  t.equal(f.outcomes.initialized.length, 1);
  t.match(await readNodeState(f.mountPoint), { role: 'control-plane', clusterId });

  const second = await callInit(f.server.address, { ...f.trust, pcr15: clusterMeasurement(clusterId) }, request());
  t.equal(second.error?.code, status.FAILED_PRECONDITION);
  t.match(second.error?.details, /^NODE_ALREADY_ACTIVATING/);
  t.equal(second.messages.length, 0);
});

t.test('a failure after the lock is streamed as {code, message}; PCR 15 stays zero', async (t) => {
  const f = await fixture(t, {
    initCluster: () =>
      Promise.reject(
        new ConstellationError('KUBERNETES_INIT_FAILED', 'Expected kubeadm init to succeed, found exit code 1'),
      ),
  });
  const outcome = await callInit(f.server.address, f.trust, request());
  t.equal(outcome.error, undefined);
  t.same(outcome.messages.at(-1)?.failure, {
    code: 'KUBERNETES_INIT_FAILED',
    message: 'Expected kubeadm init to succeed, found exit code 1',
  });
  t.equal(f.outcomes.failed.length, 1);
  t.equal(f.started(), 0);
  t.same(await f.pcr15(), Buffer.alloc(32));
});

t.test('concurrent Init: the second is refused while the first holds the lock', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const f = await fixture(t, {
    initCluster: async () => {
      await gate;
      throw new ConstellationError('KUBERNETES_INIT_FAILED', 'stopped by the test');
    },
  });
  const first = callInit(f.server.address, f.trust, request());
  while (f.lock.owner === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  const second = await callInit(f.server.address, f.trust, request());
  t.equal(second.error?.code, status.FAILED_PRECONDITION);
  t.match(second.error?.details, /NODE_ALREADY_ACTIVATING/);
  release();
  t.match((await first).messages.at(-1)?.failure, { code: 'KUBERNETES_INIT_FAILED' });
});

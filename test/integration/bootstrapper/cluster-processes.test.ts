// Bootstrapper processes on real swtpms, a real metadata service and real sockets on 127.42.0.x: Init (wrong
// secret, success, second Init), a worker joining by mutual attestation, PCR 15 = clusterMeasurement on both,
// a full restart where the control plane waits for recovery (wrong master secret refused, right one accepted)
// and the worker rejoins, and a kill -9 during Init after which the node is fresh and a second Init works.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { clusterMeasurement, generateMasterSecret, type MasterSecret } from '../../../lib/crypto/index.js';
import { createLocalCa } from '../../../lib/swtpm/local-ca.js';
import type { InitRequest } from '../../../proto/gen/init.js';
import { callInit, callRecover, type NodeTrust } from './attested-client.js';
import { startMetadata } from './metadata-process.js';
import { NodeMachine } from './node-machine.js';

process.env.TSS2_LOG ??= 'all+NONE';
// Addresses of this test only (the local-cluster e2e uses 127.42.0.1 and .10-.12).
const METADATA_HOST = '127.42.0.170';
const CP = { name: 'control-plane-0', role: 'control-plane', address: '127.42.0.171' } as const;
const WORKER = { name: 'worker-0', role: 'worker', address: '127.42.0.172' } as const;
const FRESH = { name: 'control-plane-1', role: 'control-plane', address: '127.42.0.173' } as const;

function initRequest(secret: MasterSecret, initSecret: Buffer, controlPlaneEks: string[]): InitRequest {
  return {
    initSecret,
    masterKey: secret.key,
    masterSalt: secret.salt,
    measurementSalt: randomBytes(32),
    clusterName: 'test',
    kubernetesConfig: Buffer.alloc(0),
    joinPolicyJson: Buffer.from(JSON.stringify({ attestation: {}, controlPlaneEks })),
  };
}

t.test('init, join, restart, recover, rejoin, and kill -9 during Init', async (t) => {
  // Short: swtpm's unix socket path must fit in 108 bytes, which tap's fixture paths exceed.
  const dir = await mkdtemp(join(tmpdir(), 'boot-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ca = await createLocalCa(join(dir, 'ca'));
  const initSecret = Buffer.from(randomBytes(16).toString('hex'));
  const inventory = join(dir, 'inventory.json');
  await writeFile(
    inventory,
    JSON.stringify({
      nodes: [CP, WORKER, FRESH],
      initSecretHash: createHash('sha256').update(initSecret).digest('hex'),
    }),
  );
  const metadataUrl = await startMetadata(t, METADATA_HOST, inventory);
  const cp = new NodeMachine(t, { ...CP, dir: join(dir, 'cp'), ca, metadataUrl });
  const worker = new NodeMachine(t, { ...WORKER, dir: join(dir, 'worker'), ca, metadataUrl });

  await cp.powerOn();
  // The CA's keys exist once the first EK was provisioned.
  const trust: NodeTrust = {
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
    pcr15: Buffer.alloc(32),
  };
  const serving = await cp.waitFor('serving-init');
  t.equal(serving.address, `${CP.address}:9000`);
  const cpEk = cp.ek ?? '';
  await worker.powerOn();
  await worker.waitFor('serving-init');

  const secret = generateMasterSecret();
  await t.test('a wrong init secret is refused with nothing streamed and no log line with the secret', async (t) => {
    const wrong = Buffer.from('definitely-not-the-init-secret');
    const outcome = await callInit(serving.address as string, trust, initRequest(secret, wrong, [cpEk]));
    t.equal(outcome.error?.code, status.PERMISSION_DENIED);
    t.match(outcome.error?.details, /^INIT_SECRET_INVALID/);
    t.same(outcome.messages, []);
    t.notMatch(cp.stderr, wrong.toString());
  });

  const request = initRequest(secret, initSecret, [cpEk]);
  const outcome = await callInit(serving.address as string, trust, request);
  const success = outcome.messages.at(-1)?.success;
  t.ok(success, `Init succeeded: ${JSON.stringify(outcome.messages.at(-1)?.failure ?? outcome.error?.details)}`);
  const clusterId = Buffer.from(success?.clusterId ?? []);
  t.equal((await cp.waitFor('initialized')).clusterId, clusterId.toString('hex'));
  t.match(await cp.waitFor('services'), { verification: `${CP.address}:9090`, join: `${CP.address}:30090` });

  const second = await callInit(serving.address as string, trust, initRequest(secret, initSecret, [cpEk])).catch(
    (error: unknown) => ({ messages: [], refused: error }),
  );
  t.notOk(
    'messages' in second && second.messages.some((message) => message.success !== undefined),
    'second Init refused',
  );

  t.match(await worker.waitFor('joined'), { role: 'worker' });
  await worker.waitFor('services');

  t.equal(await worker.stopBootstrapper(), 0, 'SIGTERM exits 0');
  t.same(await worker.pcr15(), clusterMeasurement(clusterId), 'worker PCR 15 = clusterMeasurement(clusterId)');
  await worker.powerOff();
  t.equal(await cp.stopBootstrapper(), 0);
  t.same(await cp.pcr15(), clusterMeasurement(clusterId), 'control-plane PCR 15 = clusterMeasurement(clusterId)');
  await cp.powerOff();
  for (const secretBytes of [secret.key, secret.salt]) {
    for (const log of [cp.stderr, worker.stderr]) {
      t.notOk(
        log.includes(secretBytes.toString('base64')) || log.includes(secretBytes.toString('hex')),
        'no secret in logs',
      );
    }
  }

  // Full restart: the control plane waits for recovery, the worker for its control plane.
  await cp.powerOn();
  const waiting = await cp.waitFor('waiting-for-recovery');
  t.equal(waiting.address, `${CP.address}:9999`);
  await worker.powerOn();
  const wrong = generateMasterSecret();
  const refused = await callRecover(waiting.address as string, trust, { masterKey: wrong.key, masterSalt: wrong.salt });
  t.equal(refused.error?.code, status.FAILED_PRECONDITION);
  t.match(refused.error?.details, /^RECOVERY_KEY_REJECTED/);
  t.notOk(
    cp.milestones.some((m) => m.event === 'recovered'),
    'still waiting after a wrong master secret',
  );
  const recovered = await callRecover(waiting.address as string, trust, {
    masterKey: secret.key,
    masterSalt: secret.salt,
  });
  t.same(recovered.response, { nodeName: CP.name });
  await cp.waitFor('recovered');
  t.match(await cp.waitFor('services'), { join: `${CP.address}:30090` });
  await worker.waitFor('rejoined');
  t.equal(await worker.stopBootstrapper(), 0);
  t.same(await worker.pcr15(), clusterMeasurement(clusterId), 'rejoined worker measures the same cluster');
  await worker.powerOff();
  // The next node belongs to another cluster: nothing of this one may be up to admit it.
  await cp.powerOff();

  await t.test('kill -9 during Init: the node comes back fresh and a second Init works', async (t) => {
    const fresh = new NodeMachine(t, { ...FRESH, dir: join(dir, 'fresh'), ca, metadataUrl });
    await fresh.powerOn();
    const address = (await fresh.waitFor('serving-init')).address as string;
    // A node of a second cluster: it must not join the first cluster's control plane, so its policy names no EK
    // and it is killed at the first progress message of its Init.
    const killed = new Promise<void>((resolveKill) => {
      const stop = setInterval(() => {
        if (fresh.stderr.includes('"action":"Init","outcome":"granted"')) {
          clearInterval(stop);
          fresh.child?.kill('SIGKILL');
          resolveKill();
        }
      }, 1);
    });
    const first = await callInit(address, trust, initRequest(generateMasterSecret(), initSecret, [])).catch(
      (error: unknown) => ({ messages: [], error }),
    );
    await killed;
    t.notOk(
      first.messages.some((message) => message.success !== undefined),
      'the killed Init did not succeed',
    );
    await fresh.powerOff('SIGKILL');
    await fresh.powerOn();
    const again = (await fresh.waitFor('serving-init')).address as string;
    const retried = await callInit(again, trust, initRequest(generateMasterSecret(), initSecret, []));
    // Only the failure is printed: a success carries the admin kubeconfig (a secret).
    t.ok(
      retried.messages.at(-1)?.success,
      `second Init works${JSON.stringify(retried.messages.at(-1)?.failure ?? '')}`,
    );
    await fresh.waitFor('initialized');
    const rssMiB = async (): Promise<string> => {
      const text = await readFile(`/proc/${String(fresh.child?.pid)}/status`, 'utf8');
      return (Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1]) / 1024).toFixed(1);
    };
    await fresh.waitFor('services');
    const atInit = await rssMiB();
    await new Promise((resolveWait) => setTimeout(resolveWait, 3000));
    t.comment(
      `Bootstrapper RSS (control plane hosting KMS, JoinService, VerificationService): ${atInit} MiB right after init, ${await rssMiB()} MiB 3 s later`,
    );
  });
});

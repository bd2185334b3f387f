// The Bootstrapper as the image runs it: the esbuild bundle of dist/ (image/build/bootstrapper-bundle.ts) with the
// addons beside it, run as a process on a real swtpm with a real metadata service: it serves Init over aTLS, takes
// an Init, starts the KMS and the JoinService, and a worker running the same bundle joins by mutual attestation.
// Bundling can break at run time what the compiled dist/ runs fine (CommonJS require of built-ins, __dirname,
// lazily imported modules), and only the VM tests run the image itself.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterMeasurement, generateMasterSecret } from '../../../lib/crypto/index.js';
import { createLocalCa } from '../../../lib/swtpm/local-ca.js';
import { bundleBootstrapper } from '../../../image/build/bootstrapper-bundle.js';
import { callInit, type NodeTrust } from './attested-client.js';
import { startMetadata } from './metadata-process.js';
import { NodeMachine } from './node-machine.js';

process.env.TSS2_LOG ??= 'all+NONE';
const REPO = resolve(import.meta.dirname, '../../..');
// Addresses of this test only.
const METADATA_HOST = '127.42.0.180';
const CP = { name: 'control-plane-0', role: 'control-plane', address: '127.42.0.181' } as const;
const WORKER = { name: 'worker-0', role: 'worker', address: '127.42.0.182' } as const;

t.test('the bundled Bootstrapper initialises a cluster and a bundled worker joins it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bundle = await bundleBootstrapper(REPO);
  t.ok(bundle.length > 100_000, `one bundle of ${String(bundle.length)} bytes`);
  t.same(await bundleBootstrapper(REPO), bundle, 'the same inputs give the same bytes');
  // The addon loader's first place: build/Release next to the module (as native/ in the repo).
  const app = join(dir, 'app');
  await mkdir(join(app, 'build/Release'), { recursive: true });
  const release = join(REPO, 'native/build/Release');
  for (const addon of (await readdir(release)).filter((name) => name.endsWith('.node'))) {
    await copyFile(join(release, addon), join(app, 'build/Release', addon));
  }
  const main = join(app, 'bootstrapper.mjs');
  await writeFile(main, bundle);

  const ca = await createLocalCa(join(dir, 'ca'));
  const initSecret = Buffer.from(randomBytes(16).toString('hex'));
  const inventory = join(dir, 'inventory.json');
  await writeFile(
    inventory,
    JSON.stringify({ nodes: [CP, WORKER], initSecretHash: createHash('sha256').update(initSecret).digest('hex') }),
  );
  const metadataUrl = await startMetadata(t, METADATA_HOST, inventory);

  const cp = new NodeMachine(t, { ...CP, dir: join(dir, 'cp'), ca, metadataUrl, main });
  const worker = new NodeMachine(t, { ...WORKER, dir: join(dir, 'worker'), ca, metadataUrl, main });
  await cp.powerOn();
  const serving = await cp.waitFor('serving-init');
  await worker.powerOn();
  await worker.waitFor('serving-init');
  const trust: NodeTrust = {
    ekRoots: [await ca.rootPem()],
    ekIntermediates: [await ca.intermediatePem()],
    pcr15: Buffer.alloc(32),
  };
  const secret = generateMasterSecret();
  const outcome = await callInit(serving.address as string, trust, {
    initSecret,
    masterKey: secret.key,
    masterSalt: secret.salt,
    measurementSalt: randomBytes(32),
    clusterName: 'bundle',
    kubernetesConfig: Buffer.alloc(0),
    joinPolicyJson: Buffer.from(JSON.stringify({ attestation: {}, controlPlaneEks: [cp.ek ?? ''] })),
  });
  const success = outcome.messages.at(-1)?.success;
  t.ok(success, `Init succeeded: ${JSON.stringify(outcome.messages.at(-1)?.failure ?? outcome.error?.details)}`);
  t.match(await cp.waitFor('services'), { verification: `${CP.address}:9090`, join: `${CP.address}:30090` });
  t.match(await worker.waitFor('joined'), { role: 'worker' });
  await worker.waitFor('services');
  t.equal(await worker.stopBootstrapper(), 0, 'SIGTERM exits 0');
  t.same(await worker.pcr15(), clusterMeasurement(Buffer.from(success?.clusterId ?? [])), 'worker PCR 15 measured');
  t.equal(await cp.stopBootstrapper(), 0);
});

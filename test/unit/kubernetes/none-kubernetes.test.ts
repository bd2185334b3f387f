// Kubernetes mode "none": real cluster CA and admin credentials on init, kubeadm-style join material, control-plane
// files stored on join after the CA hash check, hostile file names and secrets kept out of messages.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import {
  CA_CERTIFICATE_FILE,
  CA_KEY_FILE,
  discoveryTokenCaCertHash,
  noneKubernetes,
  type JoinMaterial,
} from '../../../lib/kubernetes/index.js';

async function stateDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubernetes-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const initInput = {
  nodeName: 'control-plane-0',
  nodeAddress: '127.42.0.10',
  clusterName: 'demo',
  config: Buffer.from('{"mode":"none"}'),
};

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  'current-context': string;
}

async function initialised(
  t: Test,
): Promise<{ dir: string; kubeconfig: Buffer; join: JoinMaterial; progress: string[] }> {
  const dir = await stateDir(t);
  const progress: string[] = [];
  const result = await noneKubernetes({ stateDir: dir }).initCluster(initInput, (message) => progress.push(message));
  return { dir, ...result, progress };
}

t.test(
  'init: a P-256 cluster CA, an admin client certificate it signed, a kubeconfig saying nothing listens',
  async (t) => {
    const { dir, kubeconfig, join: material, progress } = await initialised(t);
    t.ok(progress.length >= 2, 'progress is reported');
    const text = kubeconfig.toString('utf8');
    t.match(text, /^# Kubernetes mode "none": nothing listens at https:\/\/127\.42\.0\.10:6443/);
    const config = parse(text) as Kubeconfig;
    t.equal(config.clusters[0]?.cluster.server, 'https://127.42.0.10:6443');
    t.equal(config.clusters[0]?.name, 'demo');
    t.equal(config['current-context'], 'kubernetes-admin@demo');
    const caPem = Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64');
    const ca = new X509Certificate(caPem);
    t.ok(ca.ca, 'the CA certificate is a CA');
    t.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    t.ok(ca.verify(ca.publicKey), 'self-signed');
    const user = config.users[0]?.user;
    const client = new X509Certificate(Buffer.from(user?.['client-certificate-data'] ?? '', 'base64'));
    t.ok(client.verify(ca.publicKey), 'the client certificate is signed by the cluster CA');
    t.notOk(client.ca);
    t.match(client.subject, /O=system:masters/);
    t.match(client.subject, /CN=kubernetes-admin/);
    const clientKey = createPrivateKey(Buffer.from(user?.['client-key-data'] ?? '', 'base64'));
    t.same(
      createPublicKey(clientKey).export({ type: 'spki', format: 'der' }),
      client.publicKey.export({ type: 'spki', format: 'der' }),
      'the key belongs to the certificate',
    );

    t.same(await readFile(join(dir, CA_CERTIFICATE_FILE)), caPem, 'the CA is stored under stateDir');
    t.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600, 'the CA key is 0600');
    t.equal((await stat(join(dir, 'admin.conf'))).mode & 0o777, 0o600, 'the admin kubeconfig is 0600');
    t.match(material.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    t.equal(material.apiServerEndpoint, '127.42.0.10:6443');
    t.equal(material.discoveryTokenCaCertHash, discoveryTokenCaCertHash(caPem));
    t.same(
      material.controlPlaneFiles.map((file) => file.name),
      [CA_CERTIFICATE_FILE, CA_KEY_FILE],
    );
  },
);

t.test('init twice on one state directory is refused', async (t) => {
  const { dir } = await initialised(t);
  await t.rejects(
    noneKubernetes({ stateDir: dir }).initCluster(initInput, () => undefined),
    { constructor: ConstellationError, code: 'KUBERNETES_ALREADY_INITIALIZED' },
  );
});

t.test('init input is validated', async (t) => {
  const layer = noneKubernetes({ stateDir: await stateDir(t) });
  for (const change of [
    { nodeName: 'Node_0' },
    { clusterName: '../demo' },
    { nodeAddress: 'node-0' },
    { config: Buffer.alloc(64 * 1024 + 1) },
  ]) {
    await t.rejects(
      layer.initCluster({ ...initInput, ...change }, () => undefined),
      {
        constructor: InputError,
        code: 'INVALID_ARGUMENT',
      },
    );
  }
});

t.test('join as control plane: files written after the CA hash check; restart is a no-op', async (t) => {
  const { join: material } = await initialised(t);
  const dir = await stateDir(t);
  const layer = noneKubernetes({ stateDir: dir });
  await layer.joinCluster({ nodeName: 'control-plane-1', role: 'control-plane', ...material });
  for (const file of material.controlPlaneFiles) t.same(await readFile(join(dir, file.name)), file.data);
  t.equal((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600);
  const record = JSON.parse(await readFile(join(dir, 'kubernetes-join.json'), 'utf8')) as Record<string, unknown>;
  t.same(record, {
    nodeName: 'control-plane-1',
    role: 'control-plane',
    apiServerEndpoint: material.apiServerEndpoint,
    discoveryTokenCaCertHash: material.discoveryTokenCaCertHash,
  });
  t.notOk(JSON.stringify(record).includes(material.token), 'the token is not stored');
  await layer.restart();
});

t.test('join as worker: no files, only the record', async (t) => {
  const { join: material } = await initialised(t);
  const dir = await stateDir(t);
  const layer = noneKubernetes({ stateDir: dir });
  await t.rejects(layer.joinCluster({ nodeName: 'worker-0', role: 'worker', ...material }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
    message: /no files for a worker/,
  });
  await layer.joinCluster({ nodeName: 'worker-0', role: 'worker', ...material, controlPlaneFiles: [] });
  t.match(await readFile(join(dir, 'kubernetes-join.json'), 'utf8'), /"role": "worker"/);
});

t.test('join refuses a CA other than the hash names, hostile file names and malformed tokens', async (t) => {
  const first = await initialised(t);
  const second = await initialised(t);
  const dir = await stateDir(t);
  const layer = noneKubernetes({ stateDir: dir });
  const base = { nodeName: 'control-plane-1', role: 'control-plane' as const, ...first.join };
  await t.rejects(layer.joinCluster({ ...base, controlPlaneFiles: second.join.controlPlaneFiles }), {
    constructor: ConstellationError,
    code: 'KUBERNETES_CA_MISMATCH',
  });
  for (const name of ['../escape', '/etc/passwd', 'pki/../../x', '.hidden', 'a/b/c/d/e', '']) {
    await t.rejects(
      layer.joinCluster({ ...base, controlPlaneFiles: [...base.controlPlaneFiles, { name, data: Buffer.from('x') }] }),
      { constructor: InputError, code: 'INVALID_ARGUMENT' },
      `refuses ${JSON.stringify(name)}`,
    );
  }
  const badToken = 'TOKEN-that-is-secret';
  const error = await layer.joinCluster({ ...base, token: badToken }).catch((e: unknown) => e);
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'INVALID_ARGUMENT');
  t.notMatch((error as Error).message, badToken, 'the token is not echoed');
  await t.rejects(layer.joinCluster({ ...base, discoveryTokenCaCertHash: 'md5:00' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(layer.joinCluster({ ...base, apiServerEndpoint: 'evil.example:6443' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(layer.joinCluster({ ...base, controlPlaneFiles: [first.join.controlPlaneFiles[0]!] }), {
    code: 'INVALID_ARGUMENT',
    message: /pki\/ca\.key/,
  });
  t.equal(await stat(join(dir, CA_CERTIFICATE_FILE)).catch(() => undefined), undefined, 'nothing was written');
});

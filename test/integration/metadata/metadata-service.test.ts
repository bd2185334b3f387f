// The metadata service and its client over real sockets on the local cluster's loopback addresses: the service on
// 127.42.0.1, clients bound to node addresses 127.42.0.x so /self answers for the asking node. Also the agent as a
// child process (its composition root) and a hostile "service" whose answers the client must refuse.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { sourceAddress, startMetadataService } from '../../../agents/metadata/metadata-server.js';
import { LOCAL_METADATA_HOST, localNodeHost } from '../../../lib/cluster/ports.js';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import { createLogger } from '../../../lib/log/index.js';
import {
  createMetadataClient,
  MAX_RESPONSE_BYTES,
  writeInventory,
  type Inventory,
} from '../../../lib/metadata/index.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const logger = createLogger({ name: 'metadata-test', level: 'error', transport: 'stderr-json' });
const hash = Buffer.alloc(32, 7);
const inventory: Inventory = {
  nodes: [
    { name: 'control-plane-0', role: 'control-plane', address: localNodeHost(0) },
    { name: 'worker-0', role: 'worker', address: localNodeHost(1) },
  ],
  initSecretHash: hash,
};

async function inventoryFile(t: Test, content: Inventory = inventory): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'metadata-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'inventory.json');
  await writeInventory(path, content);
  return path;
}

async function service(t: Test, path: string): Promise<string> {
  const running = await startMetadataService({
    inventoryPath: path,
    listen: { host: LOCAL_METADATA_HOST, port: 0 },
    logger,
  });
  t.teardown(() => running.close());
  return `http://${running.address}`;
}

t.test('answers /self by source address, /peers and /initsecrethash', async (t) => {
  const url = await service(t, await inventoryFile(t));
  const controlPlane = createMetadataClient({ url, localAddress: localNodeHost(0) });
  const worker = createMetadataClient({ url, localAddress: localNodeHost(1) });
  t.same(await controlPlane.self(), inventory.nodes[0]);
  t.same(await worker.self(), inventory.nodes[1]);
  t.same(await worker.peers(), inventory.nodes);
  t.same(await worker.initSecretHash(), hash);
  const stranger = createMetadataClient({ url, localAddress: localNodeHost(9) });
  await t.rejects(stranger.self(), { constructor: InputError, code: 'METADATA_INVALID', message: /status 200.*404/ });
});

t.test('re-reads the inventory on every request', async (t) => {
  const path = await inventoryFile(t, { nodes: [] });
  const url = await service(t, path);
  const client = createMetadataClient({ url, localAddress: localNodeHost(0) });
  t.same(await client.peers(), []);
  await t.rejects(client.initSecretHash(), { code: 'METADATA_INVALID' }, 'no hash yet: 404');
  await writeInventory(path, inventory);
  t.same(await client.self(), inventory.nodes[0]);
  t.same(await client.initSecretHash(), hash);
});

t.test(
  'an unreadable inventory is a 500 (transient for the client), unknown paths and methods are refused',
  async (t) => {
    const path = await inventoryFile(t);
    const url = await service(t, path);
    await writeFile(path, '{"nodes": [{"name": "BAD"}]}');
    const client = createMetadataClient({ url });
    await t.rejects(client.peers(), { constructor: ConstellationError, code: 'METADATA_UNREACHABLE', message: /500/ });
    await writeInventory(path, inventory);
    t.equal((await fetch(`${url}/other`)).status, 404);
    t.equal((await fetch(`${url}/peers`, { method: 'POST', body: 'x' })).status, 405);
  },
);

t.test('nothing listening: METADATA_UNREACHABLE', async (t) => {
  const server = createServer();
  server.listen(0, LOCAL_METADATA_HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const client = createMetadataClient({ url: `http://${LOCAL_METADATA_HOST}:${port}` });
  await t.rejects(client.self(), { constructor: ConstellationError, code: 'METADATA_UNREACHABLE' });
});

async function hostile(t: Test, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  server.listen(0, LOCAL_METADATA_HOST);
  await once(server, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return `http://${LOCAL_METADATA_HOST}:${(server.address() as AddressInfo).port}`;
}

t.test('a hostile service: oversized, malformed and slow answers are refused', async (t) => {
  const url = await hostile(t, (request, response) => {
    switch (request.url) {
      case '/peers':
        // Endless body: the client must stop at MAX_RESPONSE_BYTES.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('[');
        for (let i = 0; i < 100; i++) response.write(' '.repeat(1024));
        response.end(']');
        return;
      case '/initsecrethash':
        response.end('not json');
        return;
      case '/self':
        response.end(JSON.stringify({ name: 'x', role: 'worker', address: '127.42.0.10', extra: 'y' }));
        return;
      default:
        response.writeHead(404).end();
    }
  });
  t.ok(MAX_RESPONSE_BYTES < 100 * 1024);
  const client = createMetadataClient({ url, timeoutMs: 300 });
  await t.rejects(client.peers(), {
    constructor: InputError,
    code: 'METADATA_INVALID',
    message: /at most 65536 bytes/,
  });
  await t.rejects(client.initSecretHash(), { constructor: InputError, code: 'METADATA_INVALID', message: /JSON/ });
  await t.rejects(client.self(), { constructor: InputError, code: 'METADATA_INVALID', message: /self\.extra/ });
  const silent = await hostile(t, () => {
    // Never answers: the client's deadline ends the request.
  });
  await t.rejects(createMetadataClient({ url: silent, timeoutMs: 300 }).self(), {
    constructor: ConstellationError,
    code: 'METADATA_UNREACHABLE',
    message: /within 300 ms/,
  });
});

t.test('writeInventory validates before writing and leaves no temp file; sourceAddress unmaps IPv4', async (t) => {
  const path = await inventoryFile(t);
  const before = await readFile(path, 'utf8');
  const bad = { nodes: [{ name: 'BAD', role: 'worker', address: '127.42.0.10' }] } as unknown as Inventory;
  await t.rejects(writeInventory(path, bad), { constructor: InputError, code: 'METADATA_INVALID' });
  t.equal(await readFile(path, 'utf8'), before, 'the old inventory is untouched');
  t.same(await readdir(join(path, '..')), ['inventory.json'], 'no temp file left behind');
  t.equal(sourceAddress('::ffff:127.42.0.11'), '127.42.0.11');
  t.equal(sourceAddress('fd00::1'), 'fd00::1');
  t.equal(sourceAddress(undefined), '');
});

t.test('the client refuses bad options before any request', (t) => {
  t.throws(() => createMetadataClient({ url: 'https://127.42.0.1:8080' }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.throws(() => createMetadataClient({ url: 'http://127.42.0.1:8080/x' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createMetadataClient({ url: 'http://u:p@127.42.0.1:8080' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createMetadataClient({ url: 'http://127.42.0.1:8080', localAddress: 'node-0' }), {
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});

t.test('the agent process: prints {"listening"}, serves, exits 0 on SIGTERM', async (t) => {
  const path = await inventoryFile(t);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${REPO}agents/metadata/main.ts`, '--listen', `${LOCAL_METADATA_HOST}:0`, '--inventory', path],
    { cwd: REPO, env: { ...process.env, NOTIFY_SOCKET: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit') as Promise<[number | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { listening } = JSON.parse(line) as { listening: string };
  t.match(listening, /^127\.42\.0\.1:\d+$/);
  const client = createMetadataClient({ url: `http://${listening}`, localAddress: localNodeHost(1) });
  t.same(await client.self(), inventory.nodes[1]);
  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0);
});

t.test('the agent process refuses to start without an inventory', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${REPO}agents/metadata/main.ts`, '--listen', '127.0.0.1:0'],
    {
      cwd: REPO,
      env: { ...process.env, NOTIFY_SOCKET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 2);
  t.match(stderr, /--inventory/);
});

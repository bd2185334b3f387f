// The VM network for real (root, iproute2, dnsmasq; no VM): a process inside the namespace reaches the host end
// at <subnet>.1, the host reaches a server on the bridge address inside the namespace, dnsmasq serves the static
// leases, and teardown leaves no namespace, link or process behind (a second teardown finds nothing).
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import t from 'tap';
import { ConstellationError, InputError } from '../../../lib/errors.js';
import { linkExists, namespaces } from '../../../lib/mini/ip-command.js';
import { findOwnedProcess } from '../../../lib/local-cluster/owned-process.js';
import { createVmNetwork, destroyVmNetwork, vmNetworkFiles } from '../../../lib/mini/vm-network.js';

// Not the cluster's 10.42.0.0/24, so the test runs beside a `mini up` cluster.
const SUBNET = '10.42.251';
const ID = 'e2e0c0de';

async function readFromSocket(host: string, port: number): Promise<string> {
  const socket = connect(port, host);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await once(socket, 'end');
  socket.destroy();
  return text;
}

t.test('namespace, bridge, veth, taps and dnsmasq: reachable both ways, removed without a trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-network-'));
  t.teardown(async () => {
    await destroyVmNetwork(dir);
    await rm(dir, { recursive: true, force: true });
  });
  const network = await createVmNetwork({
    id: ID,
    subnet: SUBNET,
    dir,
    leases: [
      { name: 'control-plane-0', mac: '52:54:00:c0:00:10', address: `${SUBNET}.10` },
      { name: 'worker-0', mac: '52:54:00:c0:00:11', address: `${SUBNET}.11` },
    ],
  });
  t.equal(network.namespace, `constellation-mini-${ID}`);
  t.ok((await namespaces()).includes(network.namespace), 'the namespace exists');
  t.ok(await linkExists(network.hostVeth), 'the host end of the veth exists');
  for (const tap of network.taps) t.ok(await linkExists(tap, network.namespace), `${tap} exists in the namespace`);
  const files = vmNetworkFiles(dir);
  t.ok(await findOwnedProcess(files.dnsmasqPid, files.dnsmasqConf), 'dnsmasq runs with our configuration');
  const conf = await readFile(files.dnsmasqConf, 'utf8');
  t.match(conf, `dhcp-host=52:54:00:c0:00:11,${SUBNET}.11,worker-0`);

  // A second network with the same id is refused: its names are taken.
  await t.rejects(createVmNetwork({ id: ID, subnet: SUBNET, dir: join(dir, 'other'), leases: [] }), {
    constructor: ConstellationError,
    code: 'MINI_NETWORK_EXISTS',
  });
  // So is one with another id on the same subnet (as after a workspace deleted under a running cluster): the host
  // address is taken, and the error names the link and namespace that hold it, before anything is created.
  const otherId = 'e2e0c0df';
  await t.rejects(createVmNetwork({ id: otherId, subnet: SUBNET, dir: join(dir, 'other'), leases: [] }), {
    constructor: ConstellationError,
    code: 'MINI_NETWORK_EXISTS',
    message: new RegExp(`found it on link ${network.hostVeth} of another mini cluster \\(${network.namespace}\\)`),
  });
  t.notOk((await namespaces()).includes(`constellation-mini-${otherId}`), 'the refused network made no namespace');

  // Namespace → host: a server on the host's veth address, a client inside the namespace.
  const hostServer = createServer((socket) => socket.end('host-hello'));
  hostServer.listen(0, network.hostAddress);
  await once(hostServer, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        hostServer.close(() => {
          resolve();
        }),
      ),
  );
  const hostPort = (hostServer.address() as AddressInfo).port;
  const fromNamespace = await execa('ip', [
    'netns',
    'exec',
    network.namespace,
    process.execPath,
    '-e',
    `const s=require('node:net').connect(${String(hostPort)},'${network.hostAddress}');let d='';s.on('data',c=>d+=c);s.on('end',()=>{console.log(d)});s.on('error',e=>{console.error(e.message);process.exit(3)})`,
  ]);
  t.equal(fromNamespace.stdout.trim(), 'host-hello', 'a process in the namespace reached the host');

  // Host → namespace: a server on the bridge address inside the namespace.
  const inside = spawn(
    'ip',
    [
      'netns',
      'exec',
      network.namespace,
      process.execPath,
      '-e',
      `require('node:net').createServer(s=>s.end('namespace-hello')).listen(7070,'${network.bridgeAddress}',()=>console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    inside.kill('SIGKILL');
  });
  await once(inside.stdout, 'data');
  t.equal(await readFromSocket(network.bridgeAddress, 7070), 'namespace-hello', 'the host reached the namespace');
  inside.kill('SIGKILL');
  await once(inside, 'exit');

  const teardown = await destroyVmNetwork(dir);
  t.match(teardown.removed, [/^dnsmasq/, `network namespace ${network.namespace}`]);
  t.notOk((await namespaces()).includes(network.namespace), 'no namespace left');
  t.notOk(await linkExists(network.hostVeth), 'no host link left');
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  t.notMatch(links, ID, 'no link carries the cluster id');
  const processes = (await execa('ps', ['-eo', 'args'])).stdout;
  t.notMatch(processes, files.dnsmasqConf, 'no dnsmasq left');
  t.same((await destroyVmNetwork(dir)).removed, [], 'a second teardown finds nothing');
});

t.test('invalid specs are refused before anything is created', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-network-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [field, spec] of [
    ['id', { id: 'ZZ', subnet: SUBNET, dir, leases: [] }],
    ['subnet', { id: ID, subnet: '10.42.300', dir, leases: [] }],
    ['mac', { id: ID, subnet: SUBNET, dir, leases: [{ name: 'a', mac: 'nope', address: `${SUBNET}.10` }] }],
    [
      'address',
      { id: ID, subnet: SUBNET, dir, leases: [{ name: 'a', mac: '52:54:00:00:00:01', address: '10.1.1.1' }] },
    ],
  ] as const) {
    await t.rejects(createVmNetwork(spec), { constructor: InputError, code: 'MINI_NETWORK_INVALID' }, field);
  }
  t.notOk((await namespaces()).includes(`constellation-mini-${ID}`));
});

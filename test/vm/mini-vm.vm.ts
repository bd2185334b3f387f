// ONE VM of the measured image through the mini-cluster code (network, metadata service, launcher), minutes under
// TCG. Shows: the guest got its DHCP lease (dnsmasq), reached the metadata service (its log), used its TPM with
// the EK certificate from the image's CA, and its Bootstrapper serves Init on the lease's address (the host
// connects). Measures the time from power-on to the first milestone and the VM's memory. `mini down` then leaves
// nothing behind.
//   npx tap --timeout 1400 test/vm/mini-vm.vm.ts   (MINI_IMAGE=<dir>: another image than out/image; MINI_VCPUS=1)
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import { chooseAcceleration, describeAcceleration, probeAcceleration } from '../../lib/mini/acceleration.js';
import { checkHostRequirements } from '../../lib/mini/host-requirements.js';
import { namespaces } from '../../lib/mini/ip-command.js';
import { createMiniCluster, destroyMiniCluster, waitForNodes } from '../../lib/mini/mini-cluster.js';
import { readMilestones } from '../../lib/mini/milestones.js';
import { vmNetworkFiles } from '../../lib/mini/vm-network.js';

const IMAGE = resolve(process.env.MINI_IMAGE ?? 'out/image');

/** "connected", or the error code of the attempt (ECONNREFUSED: the guest's kernel answered). */
function tcpProbe(host: string, port: number): Promise<string> {
  return new Promise((resolveConnect) => {
    const socket = connect(port, host);
    socket.setTimeout(10_000);
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolveConnect('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolveConnect(error.code ?? 'error');
    });
  });
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

t.test('one VM: DHCP lease, metadata service, TPM with the CA EK certificate, Init served', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'mini-vm-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  // A snapshot of the image: an image build running beside the test may replace out/image at any time.
  const image = join(scratch, 'image');
  for (const file of ['disk.raw', 'image.json', 'ek-ca']) {
    await cp(join(IMAGE, file), join(image, file), { recursive: true });
  }
  const requirements = await checkHostRequirements(image);
  const acceleration = chooseAcceleration(await probeAcceleration());
  t.comment(describeAcceleration(acceleration));
  const workspace = join(scratch, 'ws');
  t.teardown(async () => {
    await destroyMiniCluster(workspace);
  });

  const started = performance.now();
  const cluster = await createMiniCluster({
    workspace,
    controlPlanes: 1,
    workers: 0,
    requirements,
    acceleration,
    metadataLogLevel: 'debug',
    // MINI_VCPUS=1 measures a single VM with 1 vCPU (the default is 2 for one VM).
    ...(process.env.MINI_VCPUS === undefined ? {} : { vcpus: Number(process.env.MINI_VCPUS) }),
    progress: (line) => {
      t.comment(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
    },
  });
  const node = cluster.nodes[0];
  if (node === undefined) throw new Error('no node');
  const vm = cluster.layout.node(node.name);
  const poweredOn = performance.now();
  const since = (): string => `${((performance.now() - poweredOn) / 1000).toFixed(1)} s`;

  await t.test('firmware, TPM and network: the first milestone, the lease, the EK chain', async (t) => {
    // The image reports the guest's PCRs on ttyS1 once it is up (constellation-pcr-report), read from its TPM.
    const first = await waitForNodes(cluster, ['pcrs', 'serving-init'], { timeoutMs: 600_000 });
    t.comment(`MEASURED time from power-on to the first milestone (${String(first[node.name]?.event)}): ${since()}`);
    const qemuPid = Number((await readFile(vm.qemuPidFile, 'utf8')).trim());
    const swtpmPid = Number((await readFile(vm.swtpmPidFile, 'utf8')).trim());
    t.comment(
      `MEASURED RSS: QEMU ${String(Math.round((await rssKiB(qemuPid)) / 1024))} MiB, swtpm ${String(Math.round((await rssKiB(swtpmPid)) / 1024))} MiB (${String(cluster.record.vcpus)} vCPU, 1024 MiB guest)`,
    );
    const pcrs = (await readMilestones(vm.milestonesLog)).find((milestone) => milestone.event === 'pcrs');
    if (pcrs !== undefined) {
      const values = (pcrs as { pcrs?: Record<string, string> }).pcrs ?? {};
      t.not(values['0'], '0'.repeat(64), 'the firmware measured into the guest TPM (PCR 0)');
      t.comment(`guest PCRs 4/11: ${String(values['4'])} ${String(values['11'])}`);
    }
    // The image may report its PCRs before networkd has its lease: wait for the lease, then look.
    const leased = new RegExp(`DHCPACK\\(br0\\) ${node.address.replaceAll('.', '\\.')} ${node.mac}`);
    const dnsmasqLog = vmNetworkFiles(cluster.layout.networkDir).dnsmasqLog;
    const leaseDeadline = Date.now() + 300_000;
    let dhcp = await readFile(dnsmasqLog, 'utf8');
    while (!leased.test(dhcp) && Date.now() < leaseDeadline) {
      await sleep(1000);
      dhcp = await readFile(dnsmasqLog, 'utf8');
    }
    t.comment(`MEASURED time from power-on to the DHCP lease: ${since()}`);
    t.match(dhcp, leased, 'dnsmasq leased the address by MAC');
    const ek = new X509Certificate(await readFile(vm.ekCertificate));
    const issuer = new X509Certificate(await readFile(join(requirements.ekCaDir, 'issuercert.pem')));
    const root = new X509Certificate(await readFile(join(requirements.ekCaDir, 'swtpm-localca-rootca-cert.pem')));
    t.ok(ek.verify(issuer.publicKey), 'the EK certificate is issued by the image CA');
    t.ok(issuer.verify(root.publicKey), 'whose issuer chains to the root baked into the image');
    // A TCP connect answered (accepted or refused) by the guest's kernel: the host reaches the VM at its lease.
    let reached = 'not tried';
    for (let attempt = 0; attempt < 30 && !/^(connected|ECONNREFUSED)$/.test(reached); attempt += 1) {
      if (attempt > 0) await sleep(2000);
      reached = await tcpProbe(node.address, 9000);
    }
    t.match(reached, /^(connected|ECONNREFUSED)$/, `the host reaches ${node.address} (${reached})`);
  });

  await t.test('the Bootstrapper asks the metadata service and serves Init on its lease', async (t) => {
    const reachedInit = await waitForNodes(cluster, ['serving-init'], { timeoutMs: 600_000 });
    t.comment(`MEASURED time from power-on to serving-init: ${since()}`);
    t.equal(reachedInit[node.name]?.address, `${node.address}:9000`, 'Init served on the DHCP address');
    const metadataLog = await readFile(cluster.layout.metadataLog, 'utf8');
    t.match(metadataLog, /"path":"\/self","status":200/, 'the guest asked the metadata service who it is');
    const socket = connect(9000, node.address);
    await once(socket, 'connect');
    socket.destroy();
    t.pass('the host connects to the Init port of the VM');
  });

  const report = await destroyMiniCluster(workspace);
  t.match(report.stopped, [/^VM control-plane-0/, /^metadata service/, /^dnsmasq/, /^network namespace/]);
  t.notOk((await namespaces()).includes(`constellation-mini-${cluster.record.id}`), 'no namespace left');
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  t.notMatch(links, cluster.record.id, 'no link left');
  const processes = (await execa('ps', ['-eo', 'args'])).stdout;
  t.notMatch(processes, cluster.layout.dir, 'no process of the cluster left');
  t.same((await destroyMiniCluster(workspace)).stopped, [], 'a second down finds nothing');
});

// The VM cluster's private L2 segment: a network namespace `constellation-mini-<id>` holding a bridge, one tap
// per VM and dnsmasq (static DHCP leases by MAC), plus a veth pair whose host end carries <subnet>.1 so the host
// reaches the VMs and the VMs reach the host's metadata service. Every object carries the cluster's id and is
// recorded (network.json) BEFORE it is created, so `destroyVmNetwork` removes exactly what was made, and a
// second call finds nothing.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConstellationError, InputError } from '../errors.js';
import { startDetached } from '../local-cluster/detached-process.js';
import { isAlive, sleep, stopOwnedProcess } from '../local-cluster/owned-process.js';
import { writeRecordFile } from '../local-cluster/record-file.js';
import { hostLinkWithAddress, ip, ipQuiet, linkExists, MINI_NETWORK_FAILED, namespaces } from './ip-command.js';

export const BRIDGE = 'br0';
/** The namespace end of the veth pair (names inside a namespace are its own). */
const NAMESPACE_VETH = 'uplink0';

export interface StaticLease {
  readonly name: string;
  readonly mac: string;
  readonly address: string;
}

export interface VmNetworkSpec {
  /** The cluster id: 8 lowercase hex digits. */
  readonly id: string;
  /** The first three octets of the /24, e.g. "10.42.0". */
  readonly subnet: string;
  /** Where the record, dnsmasq's configuration, leases, pid and log live. */
  readonly dir: string;
  readonly leases: readonly StaticLease[];
}

export interface VmNetwork {
  readonly id: string;
  readonly subnet: string;
  readonly namespace: string;
  readonly bridge: string;
  /** The host end of the veth pair; it has `hostAddress`. */
  readonly hostVeth: string;
  readonly hostAddress: string;
  /** The bridge's address inside the namespace (dnsmasq answers from it). */
  readonly bridgeAddress: string;
  /** One tap per lease, same order, inside the namespace. */
  readonly taps: readonly string[];
  readonly leases: readonly StaticLease[];
}

export interface VmNetworkFiles {
  readonly record: string;
  readonly dnsmasqConf: string;
  readonly dnsmasqLeases: string;
  readonly dnsmasqPid: string;
  readonly dnsmasqLog: string;
}

export function vmNetworkFiles(dir: string): VmNetworkFiles {
  const base = resolve(dir);
  return {
    record: join(base, 'network.json'),
    dnsmasqConf: join(base, 'dnsmasq.conf'),
    dnsmasqLeases: join(base, 'dnsmasq.leases'),
    dnsmasqPid: join(base, 'dnsmasq.pid'),
    dnsmasqLog: join(base, 'dnsmasq.log'),
  };
}

const ID = /^[0-9a-f]{8}$/;
const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** The names and addresses of a network (pure: unit-tested). */
export function planVmNetwork(spec: Omit<VmNetworkSpec, 'dir'>): VmNetwork {
  if (!ID.test(spec.id))
    throw new InputError('MINI_NETWORK_INVALID', `Expected an 8-hex-digit cluster id, found "${spec.id}"`);
  const octets = SUBNET.exec(spec.subnet);
  if (octets === null || octets.slice(1).some((octet) => Number(octet) > 255)) {
    throw new InputError(
      'MINI_NETWORK_INVALID',
      `Expected a subnet of three octets like 10.42.0, found "${spec.subnet}"`,
    );
  }
  for (const lease of spec.leases) {
    if (!MAC.test(lease.mac) || !lease.address.startsWith(`${spec.subnet}.`)) {
      throw new InputError(
        'MINI_NETWORK_INVALID',
        `Expected a lowercase MAC and an address in ${spec.subnet}.0/24 for ${lease.name}, found ${lease.mac} ${lease.address}`,
      );
    }
  }
  return {
    id: spec.id,
    subnet: spec.subnet,
    namespace: namespaceName(spec.id),
    bridge: BRIDGE,
    // Interface names are at most 15 characters: "cmini" + 8 hex digits.
    hostVeth: `cmini${spec.id}`,
    hostAddress: `${spec.subnet}.1`,
    bridgeAddress: `${spec.subnet}.2`,
    taps: spec.leases.map((_, index) => `tap${String(index)}`),
    leases: spec.leases,
  };
}

export function namespaceName(id: string): string {
  return `constellation-mini-${id}`;
}

/** MINI_NETWORK_EXISTS for a host address another link holds, with what to remove when no workspace knows it. */
export function addressTaken(
  network: VmNetwork,
  holder: string,
  hostNamespaces: readonly string[],
): ConstellationError {
  const id = /^cmini([0-9a-f]{8})$/.exec(holder)?.[1];
  const namespace = id === undefined ? undefined : namespaceName(id);
  const cleanup =
    namespace === undefined
      ? `free ${network.hostAddress} on ${holder}: every mini cluster's host end has it`
      : `run 'constellation mini down --workspace <dir>' for the cluster that made it; if its workspace is gone, stop its QEMU, swtpm, dnsmasq and metadata service processes (their command lines name its workspace: 'pgrep -af /constellation-mini/') and run 'ip link del ${holder}'${hostNamespaces.includes(namespace) ? ` and 'ip netns del ${namespace}'` : ''}`;
  return new ConstellationError(
    'MINI_NETWORK_EXISTS',
    `Expected ${network.hostAddress} (the host end of the mini network, where the metadata service listens) to be free, found it on link ${holder}${namespace === undefined ? '' : ` of another mini cluster (${namespace})`}: ${cleanup}`,
  );
}

/** dnsmasq's configuration: DHCP only (no DNS), static leases only, no router (the segment is all there is). */
export function dnsmasqConfig(network: VmNetwork, files: VmNetworkFiles): string {
  return [
    `interface=${network.bridge}`,
    'bind-interfaces',
    'port=0',
    `dhcp-range=${network.subnet}.0,static,255.255.255.0,12h`,
    ...network.leases.map((lease) => `dhcp-host=${lease.mac},${lease.address},${lease.name}`),
    // Empty options: no default route and no DNS server handed out.
    'dhcp-option=option:router',
    'dhcp-option=option:dns-server',
    `dhcp-leasefile=${files.dnsmasqLeases}`,
    'dhcp-authoritative',
    'log-dhcp',
    'log-facility=-',
    '',
  ].join('\n');
}

/**
 * Creates the namespace, bridge, veth pair, taps and dnsmasq. On failure everything made so far is removed
 * again and the error says which step failed.
 */
export async function createVmNetwork(spec: VmNetworkSpec): Promise<VmNetwork> {
  const network = planVmNetwork(spec);
  const files = vmNetworkFiles(spec.dir);
  await mkdir(resolve(spec.dir), { recursive: true });
  const hostNamespaces = await namespaces();
  if (hostNamespaces.includes(network.namespace) || (await linkExists(network.hostVeth))) {
    throw new ConstellationError(
      'MINI_NETWORK_EXISTS',
      `Expected no network namespace ${network.namespace} and no link ${network.hostVeth}, found one: run 'constellation mini down' for the cluster that made it`,
    );
  }
  // The host end's address is the same for every cluster on the subnet, and the metadata service listens on it: a
  // cluster still running (perhaps one whose workspace was deleted, so no 'mini down' can find it) would otherwise
  // surface later as a metadata service that cannot listen.
  const holder = await hostLinkWithAddress(network.hostAddress);
  if (holder !== undefined) throw addressTaken(network, holder, hostNamespaces);
  await writeRecordFile(files.record, network);
  try {
    const ns = ['-n', network.namespace];
    await ip(['netns', 'add', network.namespace]);
    await ip([...ns, 'link', 'set', 'lo', 'up']);
    await ip([...ns, 'link', 'add', network.bridge, 'type', 'bridge']);
    await ip([...ns, 'addr', 'add', `${network.bridgeAddress}/24`, 'dev', network.bridge]);
    await ip([...ns, 'link', 'set', network.bridge, 'up']);
    await ip([
      'link',
      'add',
      network.hostVeth,
      'type',
      'veth',
      'peer',
      'name',
      NAMESPACE_VETH,
      'netns',
      network.namespace,
    ]);
    await ip([...ns, 'link', 'set', NAMESPACE_VETH, 'master', network.bridge]);
    await ip([...ns, 'link', 'set', NAMESPACE_VETH, 'up']);
    await ip(['addr', 'add', `${network.hostAddress}/24`, 'dev', network.hostVeth]);
    await ip(['link', 'set', network.hostVeth, 'up']);
    for (const tap of network.taps) {
      await ip([...ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      await ip([...ns, 'link', 'set', tap, 'master', network.bridge]);
      await ip([...ns, 'link', 'set', tap, 'up']);
    }
    await startDnsmasq(network, files);
  } catch (error) {
    await destroyVmNetwork(spec.dir);
    throw error;
  }
  return network;
}

async function startDnsmasq(network: VmNetwork, files: VmNetworkFiles): Promise<void> {
  await writeFile(files.dnsmasqConf, dnsmasqConfig(network, files), { mode: 0o644 });
  // `ip netns exec` execs dnsmasq in place: the pid is dnsmasq's and its command line names our config file.
  const pid = await startDetached({
    command: { command: 'ip', args: ['netns', 'exec', network.namespace, 'dnsmasq'] },
    args: ['--keep-in-foreground', `--conf-file=${files.dnsmasqConf}`, '--user=root', '--group=root'],
    cwd: resolve(files.dnsmasqConf, '..'),
    stdoutFile: files.dnsmasqLog,
    stderrFile: files.dnsmasqLog,
    pidFile: files.dnsmasqPid,
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const log = await readFile(files.dnsmasqLog, 'utf8').catch(() => '');
    if (/DHCP, (static leases only|IP range)/.test(log)) return;
    if (!isAlive(pid) || Date.now() > deadline) {
      throw new ConstellationError(
        MINI_NETWORK_FAILED,
        `Expected dnsmasq to serve DHCP on ${network.bridge} in ${network.namespace}, found it ${isAlive(pid) ? 'silent' : 'exited'}: ${log.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    await sleep(50);
  }
}

export interface NetworkTeardown {
  /** What was removed, e.g. "dnsmasq (terminated)", "network namespace constellation-mini-1a2b3c4d". */
  readonly removed: readonly string[];
}

/**
 * Stops dnsmasq and removes the namespace (with the bridge, taps and the namespace end of the veth) and the host
 * end of the veth, as recorded in `<dir>/network.json`. Processes still inside the namespace (QEMU) must be
 * stopped first. Idempotent: a second call finds nothing and removes nothing.
 */
export async function destroyVmNetwork(dir: string): Promise<NetworkTeardown> {
  const files = vmNetworkFiles(dir);
  const network = await readRecord(files.record);
  const removed: string[] = [];
  const dnsmasq = await stopOwnedProcess(files.dnsmasqPid, files.dnsmasqConf, 5000);
  if (dnsmasq !== 'not-running') removed.push(`dnsmasq (${dnsmasq})`);
  if (network === undefined) return { removed };
  if ((await namespaces()).includes(network.namespace)) {
    await ip(['netns', 'delete', network.namespace]);
    removed.push(`network namespace ${network.namespace}`);
  }
  // Deleting the namespace destroys its veth end and with it the host end, unless a process still holds the
  // namespace open: then remove the host end ourselves so the host route to the subnet goes.
  // The kernel removes the pair asynchronously after the namespace goes: give it a moment before deciding.
  const deadline = Date.now() + 2000;
  while ((await linkExists(network.hostVeth)) && Date.now() < deadline) await sleep(50);
  if (await linkExists(network.hostVeth)) {
    const result = await ipQuiet(['link', 'delete', 'dev', network.hostVeth]);
    if (result.exitCode === 0) removed.push(`link ${network.hostVeth}`);
    else if (await linkExists(network.hostVeth)) await ip(['link', 'delete', 'dev', network.hostVeth]);
  }
  for (const path of [files.record, files.dnsmasqConf, files.dnsmasqLeases]) await rm(path, { force: true });
  return { removed };
}

/** The recorded network; undefined when there is none. Only the names we would delete are trusted, and checked. */
export async function readRecord(path: string): Promise<VmNetwork | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Partial<VmNetwork>;
  if (typeof record.id !== 'string' || typeof record.subnet !== 'string' || !Array.isArray(record.leases)) {
    throw new InputError('MINI_NETWORK_RECORD_INVALID', `${path}: expected a VM network record, found something else`);
  }
  // Recompute the names from the id: a record edited to name a foreign namespace or link is never obeyed.
  return planVmNetwork({ id: record.id, subnet: record.subnet, leases: record.leases });
}

// The names and addresses of a VM network (pure): everything carries the cluster id, fits Linux's 15-character
// interface names, and dnsmasq hands out static leases only, with no router and no DNS.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { linkHoldingAddress } from '../../../lib/mini/ip-command.js';
import { addressTaken, dnsmasqConfig, planVmNetwork, vmNetworkFiles } from '../../../lib/mini/vm-network.js';

const leases = [
  { name: 'control-plane-0', mac: '52:54:00:ab:cd:00', address: '10.42.0.10' },
  { name: 'worker-0', mac: '52:54:00:ab:cd:01', address: '10.42.0.11' },
];

t.test('names and addresses', (t) => {
  const network = planVmNetwork({ id: 'abcd0123', subnet: '10.42.0', leases });
  t.equal(network.namespace, 'constellation-mini-abcd0123');
  t.equal(network.hostVeth, 'cminiabcd0123');
  t.ok(network.hostVeth.length <= 15, 'an interface name the kernel accepts');
  t.equal(network.hostAddress, '10.42.0.1');
  t.equal(network.bridgeAddress, '10.42.0.2');
  t.same(network.taps, ['tap0', 'tap1']);
  t.end();
});

t.test('dnsmasq: static leases by MAC, DHCP only', (t) => {
  const network = planVmNetwork({ id: 'abcd0123', subnet: '10.42.0', leases });
  const files = vmNetworkFiles('/ws/net');
  const lines = dnsmasqConfig(network, files).split('\n');
  t.ok(lines.includes('dhcp-range=10.42.0.0,static,255.255.255.0,12h'), 'no dynamic pool');
  t.ok(lines.includes('dhcp-host=52:54:00:ab:cd:01,10.42.0.11,worker-0'));
  t.ok(lines.includes('port=0'), 'no DNS server');
  t.ok(lines.includes('interface=br0') && lines.includes('bind-interfaces'));
  t.ok(lines.includes('dhcp-option=option:router'), 'no default route handed out');
  t.ok(lines.includes('dhcp-leasefile=/ws/net/dnsmasq.leases'), 'leases in the cluster directory, not /var/lib/misc');
  t.end();
});

t.test('invalid input is refused, one field at a time', (t) => {
  const cases = [
    ['id not hex', { id: 'abcd012g', subnet: '10.42.0', leases }],
    ['id too long', { id: 'abcd01234', subnet: '10.42.0', leases }],
    ['subnet octet', { id: 'abcd0123', subnet: '10.42.256', leases }],
    ['subnet form', { id: 'abcd0123', subnet: '10.42', leases }],
    ['uppercase MAC', { id: 'abcd0123', subnet: '10.42.0', leases: [{ ...leases[0], mac: '52:54:00:AB:CD:00' }] }],
    ['address outside', { id: 'abcd0123', subnet: '10.42.0', leases: [{ ...leases[0], address: '10.43.0.10' }] }],
  ] as const;
  for (const [name, spec] of cases) {
    t.throws(
      () => planVmNetwork(spec as Parameters<typeof planVmNetwork>[0]),
      { constructor: InputError, code: 'MINI_NETWORK_INVALID' },
      name,
    );
  }
  t.end();
});

// `ip -o -4 addr show` on a host where a cluster whose workspace was deleted still runs.
const IP_ADDR = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
  '9: cminiffee0042@if8    inet 10.42.0.1/24 scope global cminiffee0042\\       valid_lft forever preferred_lft forever',
].join('\n');

t.test('the link holding an address, from ip -o -4 addr', (t) => {
  t.equal(linkHoldingAddress(IP_ADDR, '10.42.0.1'), 'cminiffee0042');
  t.equal(linkHoldingAddress(IP_ADDR, '192.0.2.2'), 'eth0');
  t.equal(linkHoldingAddress(IP_ADDR, '10.42.0.10'), undefined, 'a prefix of another address is not that address');
  t.equal(linkHoldingAddress(IP_ADDR, '10.42.0'), undefined);
  t.equal(linkHoldingAddress('', '10.42.0.1'), undefined);
  t.end();
});

t.test('a host address another cluster holds: named, with how to remove a cluster no workspace knows', (t) => {
  const network = planVmNetwork({ id: 'abcd0123', subnet: '10.42.0', leases });
  const orphan = addressTaken(network, 'cminiffee0042', ['constellation-mini-ffee0042']);
  t.equal(orphan.code, 'MINI_NETWORK_EXISTS');
  t.match(
    orphan.message,
    /^Expected 10\.42\.0\.1 \(the host end of the mini network, where the metadata service listens\) to be free, found it on link cminiffee0042 of another mini cluster \(constellation-mini-ffee0042\)/,
  );
  t.match(orphan.message, "'constellation mini down --workspace <dir>'");
  t.match(orphan.message, "'pgrep -af /constellation-mini/'");
  t.match(orphan.message, "'ip link del cminiffee0042' and 'ip netns del constellation-mini-ffee0042'");

  const withoutNamespace = addressTaken(network, 'cminiffee0042', []);
  t.notMatch(withoutNamespace.message, 'ip netns del', 'only what exists is named for removal');

  const foreign = addressTaken(network, 'eth1', ['constellation-mini-ffee0042']);
  t.match(foreign.message, /found it on link eth1: free 10\.42\.0\.1 on eth1/);
  t.notMatch(foreign.message, 'another mini cluster');
  t.end();
});

// The names and addresses of a VM network (pure): everything carries the cluster id, fits Linux's 15-character
// interface names, and dnsmasq hands out static leases only, with no router and no DNS.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { dnsmasqConfig, planVmNetwork, vmNetworkFiles } from '../../../lib/mini/vm-network.js';

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

// Field validation of metadata answers: one field varied per negative case; every refusal is METADATA_INVALID and
// names the field.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import {
  MAX_PEERS,
  parseInitSecretHash,
  parseInventory,
  parseNodeMetadata,
  parsePeers,
} from '../../../lib/metadata/index.js';

const good = { name: 'control-plane-0', role: 'control-plane', address: '127.42.0.10' };
const invalid = { constructor: InputError, code: 'METADATA_INVALID' };

t.test('accepts well-formed nodes (IPv4 and IPv6)', (t) => {
  t.same(parseNodeMetadata(good), good);
  t.same(parseNodeMetadata({ name: 'w-1', role: 'worker', address: 'fd00::1' }), {
    name: 'w-1',
    role: 'worker',
    address: 'fd00::1',
  });
  t.end();
});

const badNodes: [string, unknown, RegExp][] = [
  ['not an object', 'node', /metadata node/],
  ['an array', [good], /metadata node/],
  ['name with upper case', { ...good, name: 'Node' }, /metadata node\.name/],
  ['name too long', { ...good, name: 'a'.repeat(64) }, /metadata node\.name/],
  ['empty name', { ...good, name: '' }, /metadata node\.name/],
  ['name with a slash', { ...good, name: '../etc' }, /metadata node\.name/],
  ['name not a string', { ...good, name: 7 }, /metadata node\.name/],
  ['unknown role', { ...good, role: 'admin' }, /control-plane, worker for metadata node\.role/],
  ['address a host name', { ...good, address: 'example.com' }, /metadata node\.address/],
  ['address with a port', { ...good, address: '127.42.0.10:80' }, /metadata node\.address/],
  ['address missing', { name: good.name, role: good.role }, /metadata node\.address/],
  ['extra key', { ...good, token: 'x' }, /metadata node\.token/],
];
for (const [label, value, message] of badNodes) {
  t.test(`refuses a node: ${label}`, (t) => {
    t.throws(() => parseNodeMetadata(value), { ...invalid, message });
    t.end();
  });
}

t.test('peers: array, bounded, unique names and addresses, index in the field name', (t) => {
  t.same(parsePeers([good, { name: 'worker-0', role: 'worker', address: '127.42.0.11' }]).length, 2);
  t.same(parsePeers([]), []);
  t.throws(() => parsePeers({}), { ...invalid, message: /metadata peers/ });
  t.throws(() => parsePeers([good, { ...good, role: 'x' }]), { ...invalid, message: /peers\[1\]\.role/ });
  t.throws(() => parsePeers([good, { ...good, address: '127.42.0.11' }]), { ...invalid, message: /peers\[1\]\.name/ });
  t.throws(() => parsePeers([good, { ...good, name: 'other' }]), { ...invalid, message: /peers\[1\]\.address/ });
  const many = Array.from({ length: MAX_PEERS + 1 }, (_, i) => ({
    ...good,
    name: `n${i}`,
    address: `10.0.${i >> 8}.${i & 255}`,
  }));
  t.throws(() => parsePeers(many), { ...invalid, message: /at most 1024 nodes/ });
  t.end();
});

t.test('init secret hash: exactly {"sha256": 64 lowercase hex}', (t) => {
  const hex = 'ab'.repeat(32);
  t.same(parseInitSecretHash({ sha256: hex }), Buffer.from(hex, 'hex'));
  t.throws(() => parseInitSecretHash({ sha256: 'AB'.repeat(32) }), { ...invalid, message: /sha256/ });
  t.throws(() => parseInitSecretHash({ sha256: 'ab'.repeat(31) }), { ...invalid, message: /sha256/ });
  t.throws(() => parseInitSecretHash({ sha256: hex, extra: 1 }), invalid);
  t.throws(() => parseInitSecretHash('ab'), invalid);
  t.end();
});

t.test('inventory: nodes required, init secret hash optional, unknown keys refused', (t) => {
  t.same(parseInventory({ nodes: [good] }), { nodes: [good] });
  const hex = '01'.repeat(32);
  t.same(parseInventory({ nodes: [], initSecretHash: hex }).initSecretHash, Buffer.from(hex, 'hex'));
  t.throws(() => parseInventory({ nodes: [good], secret: 'x' }), { ...invalid, message: /inventory\.secret/ });
  t.throws(() => parseInventory({}), { ...invalid, message: /inventory\.nodes/ });
  t.throws(() => parseInventory({ nodes: [], initSecretHash: 'zz' }), { ...invalid, message: /initSecretHash/ });
  t.end();
});

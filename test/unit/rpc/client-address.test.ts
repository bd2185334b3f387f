import t from 'tap';
import { clientAddress } from '../../../lib/rpc/client-address.js';

t.test('peer strings reduce to the address', (t) => {
  t.equal(clientAddress('ipv4:127.0.0.1:5000'), '127.0.0.1');
  t.equal(clientAddress('127.0.0.1:5000'), '127.0.0.1');
  t.equal(clientAddress('ipv6:[::1]:5000'), '::1');
  t.equal(clientAddress('[::1]:5000'), '::1');
  t.equal(clientAddress('::ffff:127.0.0.1'), '::ffff:127.0.0.1', 'a bare IPv6 address (node:http) is kept');
  t.equal(clientAddress('10.0.0.1'), '10.0.0.1');
  t.equal(clientAddress(undefined), 'unknown');
  t.equal(clientAddress(''), 'unknown');
  t.end();
});

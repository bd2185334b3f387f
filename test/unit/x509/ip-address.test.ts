// subjectAltName iPAddress octets: 4 bytes for IPv4, 16 for IPv6 in every textual form, zones refused.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { ipAddressBytes } from '../../../lib/x509/index.js';

t.test('IPv4 and IPv6 text → network-order bytes', (t) => {
  const table: [string, string][] = [
    ['127.0.0.1', '7f000001'],
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['127.42.0.10', '7f2a000a'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['1::', '00010000000000000000000000000000'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['2001:db8::ff00:42:8329', '20010db8000000000000ff0000428329'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '20010db8000000000000ff0000428329'],
    ['2001:DB8:1:2:3:4:5:6', '20010db8000100020003000400050006'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['64:ff9b::198.51.100.7', '0064ff9b0000000000000000c6336407'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
  ];
  for (const [text, hex] of table) t.equal(ipAddressBytes(text).toString('hex'), hex, text);
  t.end();
});

t.test('anything else is INVALID_ARGUMENT', (t) => {
  for (const text of ['localhost', '1.2.3', '1.2.3.256', '::g', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '', ' 1.2.3.4']) {
    t.throws(() => ipAddressBytes(text), { constructor: InputError, code: 'INVALID_ARGUMENT' }, JSON.stringify(text));
  }
  t.end();
});

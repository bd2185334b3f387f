// The measured kernel command line and the verity partition UUIDs derived from the root hash.
import t from 'tap';
import { InputError } from '../../../lib/errors.js';
import { kernelCommandLine, verityPartitionUuids } from '../../../image/build/kernel-cmdline.js';

const hash = '0123456789abcdef0123456789abcdef' + 'fedcba9876543210fedcba9876543210';

t.test('the command line carries the root hash, a read-only verity root and a volatile /var', (t) => {
  const line = kernelCommandLine(hash);
  t.match(line, `roothash=${hash}`);
  t.match(line, /(^| )root=\/dev\/mapper\/root( |$)/);
  t.match(line, /(^| )ro( |$)/);
  t.match(line, /systemd\.volatile=state/);
  t.match(line, /console=ttyS0/);
  t.notMatch(line, /\n/);
  t.end();
});

t.test('partition UUIDs are the halves of the root hash', (t) => {
  t.same(verityPartitionUuids(hash), {
    root: '01234567-89ab-cdef-0123-456789abcdef',
    verity: 'fedcba98-7654-3210-fedc-ba9876543210',
  });
  t.end();
});

t.test('anything but 64 lower-case hex digits is refused', (t) => {
  for (const bad of ['', hash.slice(1), hash.toUpperCase(), `${hash} quiet`, `${hash.slice(0, 63)}g`]) {
    t.throws(() => kernelCommandLine(bad), InputError);
    t.throws(() => kernelCommandLine(bad), { code: 'INVALID_ARGUMENT' });
    t.throws(() => verityPartitionUuids(bad), { code: 'INVALID_ARGUMENT' });
  }
  t.end();
});

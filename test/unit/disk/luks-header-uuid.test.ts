// luks2HeaderUuid reads the UUID from a header copy (instead of a `cryptsetup luksUUID` process); anything that is
// not a LUKS2 primary header gives undefined. The value is checked against cryptsetup's own on a real header in
// test/integration/disk/luks-state-disk.test.ts.
import t from 'tap';
import { luks2HeaderUuid } from '../../../lib/disk/luks-signature.js';

const UUID = '8c64bf19-2d1b-455d-a726-8e496c447f47';

function header(options: { magic?: Buffer; version?: number; uuid?: string; length?: number } = {}): Buffer {
  const bytes = Buffer.alloc(options.length ?? 4096);
  (options.magic ?? Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])).copy(bytes, 0);
  bytes.writeUInt16BE(options.version ?? 2, 6);
  bytes.write(options.uuid ?? UUID, 168, 'latin1');
  return bytes;
}

t.test('the UUID field of a LUKS2 primary header, lower-cased', (t) => {
  t.equal(luks2HeaderUuid(header()), UUID);
  t.equal(luks2HeaderUuid(header({ uuid: UUID.toUpperCase() })), UUID);
  t.end();
});

t.test('not a LUKS2 primary header → undefined', (t) => {
  t.equal(luks2HeaderUuid(header({ version: 1 })), undefined, 'LUKS1');
  t.equal(luks2HeaderUuid(header({ magic: Buffer.from('SKUL\xba\xbe', 'latin1') })), undefined, 'secondary copy');
  t.equal(luks2HeaderUuid(header({ magic: Buffer.alloc(6) })), undefined, 'zeros');
  t.equal(luks2HeaderUuid(header({ length: 200 })), undefined, 'cut short');
  t.end();
});

// luks2HeaderUuid reads the UUID from a header copy (instead of a `cryptsetup luksUUID` process), ownLuks2Metadata
// the JSON area of a header we formatted (instead of `cryptsetup luksDump`); anything that is not a LUKS2 primary
// header gives undefined. Both are checked against cryptsetup's own reading of a real header in
// test/integration/disk/luks-state-disk.test.ts.
import t from 'tap';
import { luks2HeaderUuid, ownLuks2Metadata } from '../../../lib/disk/luks-signature.js';

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

/** A primary header whose hdr_size covers the binary header and a JSON area holding `json` (NUL-padded). */
function withJson(json: string, options: { hdrSize?: bigint; length?: number } = {}): Buffer {
  const bytes = Buffer.alloc(options.length ?? 16384);
  header().copy(bytes);
  bytes.writeBigUInt64BE(options.hdrSize ?? 16384n, 8);
  bytes.write(json, 4096, 'utf8');
  return bytes;
}

t.test('ownLuks2Metadata: the JSON of the primary area, up to its NUL padding', (t) => {
  t.same(ownLuks2Metadata(withJson('{"keyslots":{},"config":{"json_size":"12288"}}')), {
    keyslots: {},
    config: { json_size: '12288' },
  });
  t.end();
});

t.test('ownLuks2Metadata: not LUKS2, an impossible hdr_size or JSON that does not parse → undefined', (t) => {
  t.equal(ownLuks2Metadata(header({ version: 1, length: 16384 })), undefined, 'LUKS1');
  t.equal(ownLuks2Metadata(withJson('{}', { hdrSize: 4096n })), undefined, 'no JSON area');
  t.equal(ownLuks2Metadata(withJson('{}', { hdrSize: 32768n })), undefined, 'hdr_size beyond the bytes');
  t.equal(ownLuks2Metadata(withJson('{"keyslots":')), undefined, 'cut JSON');
  t.end();
});

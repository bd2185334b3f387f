// The UKI's PE header gets SOURCE_DATE_EPOCH and a matching checksum; the checksum agrees with objcopy's own.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstellationError } from '../../../lib/errors.js';
import { runCommand } from '../../../image/build/build-tools.js';
import { peChecksum, peHeaderFields, withPeTimestamp } from '../../../image/build/pe-timestamp.js';

/** A minimal PE: MZ header pointing at "PE\0\0", a COFF header and a 96-byte optional header, then data. */
function tinyPe(timestamp: number, bodyByte: number): Buffer {
  const pe = Buffer.alloc(0x200, bodyByte);
  pe.fill(0, 0, 0x80 + 24 + 96);
  pe.writeUInt16LE(0x5a4d, 0);
  pe.writeUInt32LE(0x80, 0x3c);
  pe.writeUInt32LE(0x00004550, 0x80);
  pe.writeUInt32LE(timestamp, 0x88);
  return pe;
}

t.test('timestamp set, checksum recomputed, everything else unchanged', (t) => {
  const a = withPeTimestamp(tinyPe(111, 7), 1_700_000_000);
  const b = withPeTimestamp(tinyPe(222, 7), 1_700_000_000);
  t.ok(a.equals(b), 'two builds at different times give the same bytes');
  const fields = peHeaderFields(a);
  t.equal(a.readUInt32LE(fields.timeDateStamp), 1_700_000_000);
  t.equal(a.readUInt32LE(fields.checkSum), peChecksum(a));
  t.not(peChecksum(withPeTimestamp(tinyPe(0, 8), 1)), peChecksum(withPeTimestamp(tinyPe(0, 7), 1)));
  t.end();
});

t.test('not a PE, or a timestamp out of range → IMAGE_BUILD_OUTPUT_INVALID', (t) => {
  for (const bad of [Buffer.alloc(10), Buffer.alloc(0x200), Buffer.from(tinyPe(0, 0)).fill(0, 0x80, 0x84)]) {
    t.throws(() => withPeTimestamp(bad, 1), ConstellationError);
    t.throws(() => withPeTimestamp(bad, 1), { code: 'IMAGE_BUILD_OUTPUT_INVALID' });
  }
  t.throws(() => withPeTimestamp(tinyPe(0, 0), -1), { code: 'IMAGE_BUILD_OUTPUT_INVALID' });
  t.throws(() => withPeTimestamp(tinyPe(0, 0), 2 ** 32), { code: 'IMAGE_BUILD_OUTPUT_INVALID' });
  t.end();
});

const STUB = '/usr/lib/systemd/boot/efi/linuxx64.efi.stub';
const stubPresent = await readFile(STUB).then(
  () => true,
  () => false,
);

t.test(
  'the checksum equals the one objcopy writes',
  { skip: stubPresent ? false : `needs ${STUB} (systemd-boot-efi)` },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'pe-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'osrel'), 'ID=test\n');
    await runCommand('objcopy', ['--add-section', `.osrel=${join(dir, 'osrel')}`, STUB, join(dir, 'out.efi')]);
    const pe = await readFile(join(dir, 'out.efi'));
    t.equal(peChecksum(pe), pe.readUInt32LE(peHeaderFields(pe).checkSum));
  },
);

// setPeTimestamp makes objcopy's output reproducible: a fixed COFF TimeDateStamp and the CheckSum that goes with
// it, checked against the checksums the linker, sbsign and python3-pefile wrote into the vectors.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { authenticodeSha256, parsePeImage, peChecksum, PE_INVALID, setPeTimestamp } from '../../../lib/image/index.js';
import { InputError } from '../../../lib/errors.js';

const vector = (name: string): Buffer => readFileSync(new URL(`../../vectors/image/${name}`, import.meta.url));
const storedChecksum = (pe: Buffer): number => pe.readUInt32LE(parsePeImage(pe).checksumOffset);
const timestamp = (pe: Buffer): number => pe.readUInt32LE(pe.readUInt32LE(0x3c) + 8);

t.test('peChecksum equals the CheckSum other tools wrote', (t) => {
  for (const name of ['linuxx64.efi.stub', 'linuxx64-signed.efi', 'uki.efi']) {
    t.equal(peChecksum(vector(name)), storedChecksum(vector(name)), name);
  }
  t.end();
});

t.test('setPeTimestamp: a fixed stamp and a valid checksum; back to 0 gives the vector again', (t) => {
  const uki = vector('uki.efi');
  t.equal(timestamp(uki), 0);
  const stamped = setPeTimestamp(uki, 1_700_000_000);
  t.equal(timestamp(stamped), 1_700_000_000);
  t.equal(storedChecksum(stamped), peChecksum(stamped));
  t.not(authenticodeSha256(stamped).toString('hex'), authenticodeSha256(uki).toString('hex'), 'the stamp is measured');
  t.same(setPeTimestamp(stamped, 0), uki);
  t.same(uki, vector('uki.efi'), 'input not modified');
  t.end();
});

t.test('refusals', (t) => {
  for (const seconds of [-1, 1.5, 2 ** 32]) {
    t.throws(() => setPeTimestamp(vector('uki.efi'), seconds), { constructor: InputError, code: 'INVALID_ARGUMENT' });
  }
  t.throws(() => setPeTimestamp(Buffer.from('MZ'), 0), { constructor: InputError, code: PE_INVALID });
  t.end();
});

// Authenticode SHA-256 of real PE files (systemd-stub 252 unsigned and sbsign-signed, an objcopy-built UKI)
// against the digests of an independent implementation (python3-pefile, test/vectors/image/expected.json), the
// digest sbsign embedded in its own signature, the fields the hash must skip, and every malformed-header check.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { authenticodeSha256, parsePeImage, PE_INVALID } from '../../../lib/image/index.js';
import { InputError } from '../../../lib/errors.js';
import { buildPe } from './pe-builder.js';

const VECTORS = new URL('../../vectors/image/', import.meta.url);
const vector = (name: string): Buffer => readFileSync(new URL(name, VECTORS));
const expected = JSON.parse(vector('expected.json').toString()) as {
  authenticodeSha256: Record<string, string>;
};

function changed(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}

t.test('real PE files hash to the digests of the independent implementation', (t) => {
  const names = Object.keys(expected.authenticodeSha256);
  t.same(names, ['linuxx64.efi.stub', 'linuxx64-signed.efi', 'kernel.efi', 'uki.efi']);
  for (const name of names) {
    t.equal(authenticodeSha256(vector(name)).toString('hex'), expected.authenticodeSha256[name], name);
  }
  t.end();
});

t.test('a signed image hashes to the digest its signature covers', (t) => {
  const signed = vector('linuxx64-signed.efi');
  const image = parsePeImage(signed);
  t.ok(image.certificateTable.size > 0, 'the vector carries a certificate table');
  t.equal(image.certificateTable.offset + image.certificateTable.size, signed.length);
  const table = signed.subarray(image.certificateTable.offset);
  // sbsign wrote its own Authenticode digest into SpcIndirectDataContent inside the PKCS#7 blob.
  t.ok(table.includes(authenticodeSha256(signed)), 'the digest appears in the signature');
  t.end();
});

t.test('CheckSum and the certificate table do not change the digest; every other byte does', (t) => {
  const layout = buildPe({
    sections: [
      { name: '.text', data: Buffer.alloc(700, 0xc3) },
      { name: '.data', data: Buffer.from('data') },
    ],
    trailing: Buffer.from('symbols'),
    certificate: Buffer.alloc(64, 0x30),
  });
  const pe = layout.bytes;
  const digest = authenticodeSha256(pe);
  t.same(authenticodeSha256(changed(pe, layout.checksum)), digest, 'CheckSum skipped');
  t.same(authenticodeSha256(changed(pe, pe.length - 1)), digest, 'certificate table skipped');
  const sectionByte = layout.sectionData[1] ?? 0;
  t.notSame(authenticodeSha256(changed(pe, sectionByte)), digest, 'section data hashed');
  t.notSame(authenticodeSha256(changed(pe, 0x30)), digest, 'DOS header hashed');
  t.notSame(authenticodeSha256(changed(pe, layout.sectionTable + 1)), digest, 'section table hashed');
  const trailingAt = pe.indexOf('symbols');
  t.notSame(authenticodeSha256(changed(pe, trailingAt)), digest, 'trailing data hashed');
  t.end();
});

t.test('PE32, PE32+ and images without a certificate-table entry parse', (t) => {
  const sections = [{ name: '.text', data: Buffer.alloc(10, 1) }];
  t.equal(parsePeImage(buildPe({ format: 'PE32', sections }).bytes).format, 'PE32');
  t.equal(parsePeImage(buildPe({ sections }).bytes).format, 'PE32+');
  const few = parsePeImage(buildPe({ sections, numberOfDirectories: 4 }).bytes);
  t.equal(few.certificateEntryOffset, undefined);
  t.equal(authenticodeSha256(buildPe({ sections, numberOfDirectories: 4 }).bytes).length, 32);
  t.end();
});

t.test('malformed files: InputError PE_INVALID saying what was expected', (t) => {
  const layout = buildPe({
    sections: [{ name: '.text', data: Buffer.alloc(600, 0x90) }],
    certificate: Buffer.alloc(16, 1),
  });
  const pe = layout.bytes;
  const opt = layout.optionalHeader;
  const patched = (offset: number, value: number, size: 2 | 4 = 4): Buffer => {
    const copy = Buffer.from(pe);
    if (size === 2) copy.writeUInt16LE(value, offset);
    else copy.writeUInt32LE(value, offset);
    return copy;
  };
  const certificateEntry = layout.certificateEntry ?? 0;
  const cases: [string, Buffer, RegExp][] = [
    ['empty file', Buffer.alloc(0), /Expected the DOS signature "MZ" at byte 0, found 0 bytes/],
    ['no MZ', patched(0, 0x5a4e, 2), /Expected the DOS signature "MZ"/],
    ['e_lfanew beyond the file', patched(0x3c, pe.length + 8), /Expected the signature "PE\\0\\0" at byte/],
    ['no PE signature', patched(0x40, 0x00004551), /Expected the signature "PE\\0\\0" at byte 64, found other bytes/],
    ['wrong optional-header magic', patched(opt, 0x107, 2), /Expected optional-header magic .* found 0x107/],
    ['truncated in the headers', pe.subarray(0, 0x80), /Expected (the optional header|\d+ section headers)/],
    ['truncated in a section', pe.subarray(0, 0x300), /Expected section ".text" inside the file/],
    ['section beyond the file', patched(layout.sectionTable + 20, pe.length), /Expected section ".text" inside/],
    ['SizeOfHeaders beyond the file', patched(opt + 60, pe.length + 1), /Expected SizeOfHeaders between/],
    ['too many data directories', patched(opt + 108, 17), /Expected at most 16 data directories/],
    ['certificate table beyond the file', patched(certificateEntry + 4, 4096), /Expected the certificate table inside/],
    ['certificate table inside the headers', patched(certificateEntry, 8), /Expected the certificate table inside/],
  ];
  for (const [name, bytes, message] of cases) {
    t.throws(() => authenticodeSha256(bytes), { constructor: InputError, code: PE_INVALID, message }, name);
  }
  // A certificate table that claims the sections' bytes: EDK2 refuses to measure such an image.
  const overlapping = buildPe({ sections: [{ name: '.text', data: Buffer.alloc(600, 0x90) }] });
  const claim = Buffer.from(overlapping.bytes);
  claim.writeUInt32LE(0x200, overlapping.certificateEntry ?? 0);
  claim.writeUInt32LE(claim.length - 0x200, (overlapping.certificateEntry ?? 0) + 4);
  const extended = Buffer.concat([claim, Buffer.alloc(8)]);
  t.throws(
    () => authenticodeSha256(extended),
    { constructor: InputError, code: PE_INVALID, message: /Expected the certificate table \(\d+ bytes\) after the/ },
    'certificate table overlapping the sections',
  );
  t.end();
});

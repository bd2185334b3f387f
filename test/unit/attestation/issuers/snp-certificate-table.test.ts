import t from 'tap';
import fc from 'fast-check';
import { ConstellationError, InputError } from '../../../../lib/errors.js';
import {
  encodeSnpCertificateTable,
  parseSnpCertificateTable,
  SNP_CERTIFICATE_GUIDS,
} from '../../../../lib/attestation/issuers/snp-certificate-table.js';
import { snpMilan, snpMilanCertificateTable } from './tee-vectors.js';

t.test('a Milan host table gives VCEK, ASK and ARK in order', (t) => {
  const { vcek, ask, ark } = snpMilan();
  const entries = parseSnpCertificateTable(snpMilanCertificateTable());
  t.same(
    entries.map((e) => e.kind),
    ['vcek', 'ask', 'ark'],
  );
  t.same(entries[0]!.data, vcek);
  t.same(entries[1]!.data, ask);
  t.same(entries[2]!.data, ark);
  t.equal(entries[0]!.guid, SNP_CERTIFICATE_GUIDS.vcek);
  t.end();
});

t.test('GUID bytes are laid out in string order (GHCB table as Linux passes it through)', (t) => {
  const table = encodeSnpCertificateTable([{ guid: SNP_CERTIFICATE_GUIDS.vcek, data: Buffer.from([1]) }]);
  t.equal(table.subarray(0, 16).toString('hex'), '63da758de6644564adc5f4b93be8accd');
  t.equal(table.readUInt32LE(16), 48, 'offset after two 24-byte headers');
  t.equal(table.readUInt32LE(20), 1);
  t.end();
});

t.test('empty and all-zero tables (host supplies nothing) give no entries', (t) => {
  t.same(parseSnpCertificateTable(Buffer.alloc(0)), []);
  t.same(parseSnpCertificateTable(Buffer.alloc(4096)), []);
  t.end();
});

t.test('unknown GUIDs are kept as "other"', (t) => {
  const guid = '11111111-2222-3333-4444-555555555555';
  const [entry] = parseSnpCertificateTable(encodeSnpCertificateTable([{ guid, data: Buffer.from('x') }]));
  t.equal(entry?.kind, 'other');
  t.equal(entry?.guid, guid);
  t.end();
});

t.test('malformed tables are refused with TEE_CERT_TABLE_MALFORMED', (t) => {
  const valid = encodeSnpCertificateTable([{ guid: SNP_CERTIFICATE_GUIDS.vcek, data: Buffer.alloc(10, 7) }]);
  // One data-less entry (offset 0, length 0), and the table ends where the terminator should start.
  const noTerminator = Buffer.alloc(24);
  noTerminator.fill(0x5a, 0, 16);
  const pastEnd = Buffer.from(valid);
  pastEnd.writeUInt32LE(100, 20);
  const intoHeaders = Buffer.from(valid);
  intoHeaders.writeUInt32LE(0, 16);
  const cases: [string, Buffer, RegExp][] = [
    ['no terminator', noTerminator, /terminating entry within 24 bytes/],
    ['length past the end', pastEnd, /offset 48 length 100 in 58 bytes/],
    ['offset into the headers', intoHeaders, /offset 0 length 10/],
    ['short garbage', Buffer.from([1, 2, 3]), /terminating entry/],
  ];
  for (const [name, table, message] of cases) {
    t.throws(
      () => parseSnpCertificateTable(table),
      { constructor: InputError, code: 'TEE_CERT_TABLE_MALFORMED', message },
      name,
    );
  }
  t.end();
});

t.test('property: encode → parse round-trips', (t) => {
  const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
    const hex = Buffer.from(b).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  });
  fc.assert(
    fc.property(
      fc
        .array(fc.record({ guid, data: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 6 })
        .filter((entries) => entries.every((e) => e.guid !== '00000000-0000-0000-0000-000000000000')),
      (entries) => {
        const parsed = parseSnpCertificateTable(encodeSnpCertificateTable(entries));
        return (
          parsed.length === entries.length &&
          parsed.every((p, i) => p.guid === entries[i]!.guid && p.data.equals(Buffer.from(entries[i]!.data)))
        );
      },
    ),
  );
  t.pass('round trip held for all generated tables');
  t.end();
});

t.test('property: random and mutated tables give entries or a typed error', (t) => {
  const parseOrTypedError = (bytes: Uint8Array): boolean => {
    try {
      const entries = parseSnpCertificateTable(bytes);
      return entries.every((e) => e.data.length <= bytes.length);
    } catch (error) {
      return error instanceof ConstellationError && error.code === 'TEE_CERT_TABLE_MALFORMED';
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), parseOrTypedError));
  const valid = snpMilanCertificateTable();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(valid.length),
      (mutations, cut) => {
        const mutated = Buffer.from(valid);
        for (const [at, value] of mutations) mutated[at] = value;
        return parseOrTypedError(mutated) && parseOrTypedError(mutated.subarray(0, cut));
      },
    ),
  );
  t.pass('no untyped exception');
  t.end();
});

// TDX CC event log (GCE COS-113): table parsing, replay to the quote's RTMRs, malformed tables.
import t from 'tap';
import {
  kernelCommandLines,
  parseCcel,
  parseCcelTable,
  replayCcel,
  secureBootState,
} from '../../../../lib/attestation/eventlog/index.js';
import { VerificationError } from '../../../../lib/errors.js';
import { vector, vectorJson } from './vector-files.js';

interface TdxExpected {
  readonly quotes: readonly {
    readonly file: string;
    readonly td_quote_body: Record<string, string>;
  }[];
}

const table = vector('tdx/go-tdx-guest/ccel/ccel_table.dat');
const data = vector('tdx/go-tdx-guest/ccel/ccel_data.dat');
const quote = (vectorJson('tdx/go-tdx-guest/expected.json') as TdxExpected).quotes.find(
  (q) => q.file === 'ccel/cos-113-tdx-quote.dat',
);

t.test('CCEL replay reproduces RTMR0-2 of the COS-113 quote; RTMR3 stays zero', (t) => {
  t.ok(quote, 'the COS-113 quote is described in expected.json');
  const ccel = parseCcel(table, data);
  t.equal(ccel.log.events.length, 44);
  t.same(ccel.log.banks, ['sha384']);
  const { rtmrs } = replayCcel(ccel);
  t.equal(rtmrs.length, 4);
  for (const [i, rtmr] of rtmrs.entries()) {
    t.equal(rtmr.length, 48);
    t.equal(rtmr.toString('hex'), quote?.td_quote_body[`rtmr${i}`], `RTMR${i}`);
  }
  t.equal(rtmrs[3]?.toString('hex'), '00'.repeat(48));
  t.end();
});

t.test('without the ACPI table the log area alone gives the same RTMRs', (t) => {
  const withTable = replayCcel(parseCcel(table, data)).rtmrs.map((r) => r.toString('hex'));
  const withoutTable = replayCcel(parseCcel(undefined, data)).rtmrs.map((r) => r.toString('hex'));
  t.same(withoutTable, withTable);
  t.end();
});

t.test('CCEL table fields', (t) => {
  const parsed = parseCcelTable(table);
  t.equal(parsed.ccType, 2, 'TDX');
  t.equal(parsed.logAreaLength, 0x40000n);
  t.equal(parsed.logAreaAddress, 0xbedbf000n);
  t.equal(parsed.oemId, 'INTEL');
  t.end();
});

t.test('malformed CCEL tables are rejected with EVENTLOG_MALFORMED', (t) => {
  const cases: { name: string; mutate: (b: Buffer) => Buffer; message: RegExp }[] = [
    { name: 'wrong signature', mutate: (b) => (b.write('XCEL', 0), b), message: /ACPI signature "CCEL"/ },
    { name: 'bad checksum', mutate: (b) => ((b[20] = (b[20] ?? 0) ^ 1), b), message: /checksum/ },
    { name: 'truncated', mutate: (b) => b.subarray(0, 40), message: /56-byte CCEL table/ },
    { name: 'length field', mutate: (b) => (b.writeUInt32LE(0x1000, 4), b), message: /table length 56/ },
    {
      name: 'SEV type with fixed checksum',
      mutate: (b) => {
        b[36] = 1;
        b[9] = ((b[9] ?? 0) + 1) & 0xff;
        return b;
      },
      message: /CC type 2 \(TDX\)/,
    },
  ];
  for (const c of cases) {
    const err = t.throws(() => parseCcel(c.mutate(Buffer.from(table)), data), c.name) as VerificationError;
    t.ok(err instanceof VerificationError, c.name);
    t.equal(err.code, 'EVENTLOG_MALFORMED', c.name);
    t.match(err.message, c.message, c.name);
  }
  t.end();
});

t.test('an edited CCEL event changes the replayed RTMR', (t) => {
  const edited = Buffer.from(data);
  const at = edited.indexOf('grub_cmd: set timeout=0');
  const ccel = parseCcel(table, data);
  const event = ccel.log.events.find((e) => e.offset < at && e.offset + 200 > at && e.pcr === 3);
  t.ok(event, 'found the GRUB event');
  // Flip one digest byte of that event (header 12 bytes + alg id 2 bytes).
  const digestAt = (event?.offset ?? 0) + 14;
  edited[digestAt] = (edited[digestAt] ?? 0) ^ 0xff;
  const rtmrs = replayCcel(parseCcel(table, edited)).rtmrs;
  t.not(rtmrs[2]?.toString('hex'), quote?.td_quote_body.rtmr2);
  t.equal(rtmrs[0]?.toString('hex'), quote?.td_quote_body.rtmr0, 'other RTMRs are unaffected');
  t.end();
});

t.test('CCEL content: GRUB kernel command line from MR 3, Secure Boot variables from MR 1', (t) => {
  const { log } = parseCcel(table, data);
  const lines = kernelCommandLines(log);
  t.equal(lines.length, 1);
  t.equal(lines[0]?.digestVerified, true);
  t.match(lines[0]?.commandLine ?? '', /^\/syslinux\/vmlinuz\.A init=\/usr\/lib\/systemd\/systemd/);
  const sb = secureBootState(log);
  t.equal(sb.enabled, false, 'the SecureBoot variable is 00 in this VM');
  t.ok((sb.db?.certificates.length ?? 0) > 0, 'db certificates are read from MR 1');
  t.end();
});

// Structural parsing: formats, bounds, Spec ID rules, StartupLocality, and decoded event content.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import {
  EV,
  eventTypeName,
  kernelCommandLines,
  parseEventLog,
  verifyReplay,
} from '../../../../lib/attestation/eventlog/index.js';
import { ConstellationError, InputError, VerificationError } from '../../../../lib/errors.js';
import { agileRecord, buildAgileLog, sha1Record, specIdEvent, u32 } from './log-builder.js';
import { vector } from './vector-files.js';

const action = (pcr: number, text: string) => ({ pcr, type: EV.EFI_ACTION, data: Buffer.from(text) });

function expectMalformed(t: Test, bytes: Buffer, message: RegExp, name: string): void {
  const err = t.throws(() => parseEventLog(bytes), name) as VerificationError;
  t.ok(err instanceof VerificationError, `${name}: VerificationError`);
  t.equal(err.code, 'EVENTLOG_MALFORMED', `${name}: code`);
  t.match(err.message, message, `${name}: message`);
}

t.test('malformed logs are rejected with offsets', (t) => {
  const good = buildAgileLog([action(4, 'Calling EFI Application from Boot Option')]);
  const withSpecId = (mutate: (spec: Buffer) => void) => {
    const spec = Buffer.from(specIdEvent(['sha1', 'sha256']));
    mutate(spec);
    return spec;
  };
  const cases: { name: string; bytes: Buffer; message: RegExp }[] = [
    {
      name: 'truncated first header',
      bytes: good.subarray(0, 6),
      message: /^Expected event type \(4 bytes\) at offset 4, found 2 bytes left$/,
    },
    {
      name: 'truncated record',
      bytes: good.subarray(0, good.length - 3),
      message: /Expected 40 bytes of event data at offset \d+, found 37 bytes left/,
    },
    {
      name: 'huge data size',
      bytes: (() => {
        const b = Buffer.from(good);
        b.writeUInt32LE(0xffffffff, b.length - 44);
        return b;
      })(),
      message: /Expected 4294967295 bytes of event data/,
    },
    {
      name: 'no algorithms',
      bytes: withSpecId((s) => s.writeUInt32LE(0, 32 + 24)),
      message: /Expected 1\.\.16 algorithms in the Spec ID event at offset 56, found 0/,
    },
    {
      name: 'huge algorithm count',
      bytes: withSpecId((s) => s.writeUInt32LE(0x10000000, 32 + 24)),
      message: /found 268435456/,
    },
    {
      name: 'sha256 declared with 20 bytes',
      bytes: withSpecId((s) => s.writeUInt16LE(20, 32 + 28 + 6)),
      message: /Expected digest size 32 for sha256 at offset 64, found 20/,
    },
    {
      name: 'duplicate algorithm',
      bytes: withSpecId((s) => s.writeUInt16LE(0x0004, 32 + 28 + 4)),
      message: /distinct Spec ID algorithms/,
    },
    {
      name: 'digest count differs from the Spec ID',
      bytes: Buffer.concat([specIdEvent(['sha1', 'sha256']), agileRecord(action(4, 'x'), ['sha1'])]),
      message: /Expected 2 digests \(one per Spec ID algorithm\) at offset \d+, found 1/,
    },
    {
      name: 'undeclared algorithm in a record',
      bytes: Buffer.concat([specIdEvent(['sha1', 'sha256']), agileRecord(action(4, 'x'), ['sha1', 'sha384'])]),
      message: /declared once in the Spec ID event at offset \d+, found undeclared 0xc/,
    },
    {
      name: 'measured event in PCR 24',
      bytes: buildAgileLog([action(24, 'x')]),
      message: /Expected a PCR index ≤ 23 at offset \d+, found 24 for EV_EFI_ACTION/,
    },
    {
      name: 'StartupLocality after a PCR0 measurement',
      bytes: buildAgileLog([
        action(0, 'x'),
        { pcr: 0, type: EV.NO_ACTION, data: Buffer.from('StartupLocality\0\x03', 'latin1') },
      ]),
      message: /one StartupLocality \(0\.\.4\) before PCR0 measurements .* found after a PCR0 measurement/,
    },
    {
      name: 'StartupLocality 9',
      bytes: buildAgileLog([{ pcr: 0, type: EV.NO_ACTION, data: Buffer.from('StartupLocality\0\x09', 'latin1') }]),
      message: /found locality 9/,
    },
    {
      name: 'Spec ID with trailing bytes',
      bytes: (() => {
        const spec = specIdEvent(['sha1']);
        const longer = Buffer.concat([spec, Buffer.from([7])]);
        longer.writeUInt32LE(spec.length - 32 + 1, 28);
        return longer;
      })(),
      message: /Expected end of the Spec ID event at offset \d+, found 1 extra bytes/,
    },
  ];
  for (const c of cases) expectMalformed(t, c.bytes, c.message, c.name);
  t.end();
});

t.test('event count is bounded', (t) => {
  const events = Array.from({ length: 10 }, () => action(4, 'x'));
  const err = t.throws(() => parseEventLog(buildAgileLog(events), { maxEvents: 10 })) as VerificationError;
  t.equal(err.code, 'EVENTLOG_MALFORMED');
  t.match(err.message, /^Expected at most 10 events at offset \d+, found more records$/);
  t.doesNotThrow(() => parseEventLog(buildAgileLog(events), { maxEvents: 11 }));
  t.throws(() => parseEventLog(buildAgileLog(events), { maxEvents: 0 }), {
    name: 'InputError',
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});

t.test('unknown algorithms are skipped by their declared size', (t) => {
  const spec = Buffer.from(specIdEvent(['sha1', 'sha256']));
  spec.writeUInt16LE(0x0012, 32 + 28 + 4); // SM3_256 instead of SHA-256, same 32-byte size
  const record = Buffer.from(agileRecord(action(4, 'x'), ['sha1', 'sha256']));
  record.writeUInt16LE(0x0012, 12 + 2 + 20);
  const log = parseEventLog(Buffer.concat([spec, record]));
  t.same(log.banks, ['sha1']);
  t.same(
    log.algorithms.map((a) => a.algId),
    [0x0004, 0x0012],
  );
  t.same(Object.keys(log.events[1]?.digests ?? {}), ['sha1']);
  t.end();
});

t.test('legacy SHA-1 logs and input validation', (t) => {
  const data = Buffer.from('x');
  const legacy = Buffer.concat([
    sha1Record(4, EV.IPL, Buffer.alloc(20, 1), data),
    sha1Record(5, EV.IPL, Buffer.alloc(20, 2), data),
  ]);
  const log = parseEventLog(legacy);
  t.equal(log.format, 'sha1-legacy');
  t.equal(log.events.length, 2);
  t.same(log.banks, ['sha1']);
  t.throws(() => parseEventLog('log' as unknown as Buffer), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  t.doesNotThrow(() => parseEventLog(new Uint8Array(legacy)), 'a plain Uint8Array works');
  const err = t.throws(() => {
    verifyReplay(log, {}, { unloggedPcrs: [24] });
  }) as InputError;
  t.ok(err instanceof InputError);
  t.equal(err.code, 'INVALID_ARGUMENT');
  t.match(err.message, /Expected an array of PCR indices 0-23 for unloggedPcrs but received \[24\]/);
  t.ok(err instanceof ConstellationError);
  t.end();
});

t.test('event type names', (t) => {
  t.equal(eventTypeName(0x80000003), 'EV_EFI_BOOT_SERVICES_APPLICATION');
  t.equal(eventTypeName(0x4), 'EV_SEPARATOR');
  t.equal(eventTypeName(0x800000e0), 'EV_EFI_VARIABLE_AUTHORITY');
  t.equal(eventTypeName(0x1234), 'EV_UNKNOWN_0x00001234');
  t.end();
});

t.test('decoded content of real events', (t) => {
  const log = parseEventLog(vector('tpm/go-tpm-tools/eventlogs/ubuntu-2404-amd-sevsnp.bin'));
  const crtm = log.events.find((e) => e.type === EV.S_CRTM_VERSION);
  t.same(crtm?.content, { kind: 's-crtm-version', text: 'GCE Virtual Firmware v2' });
  const secureBoot = log.events.find((e) => e.type === EV.EFI_VARIABLE_DRIVER_CONFIG);
  t.equal(secureBoot?.content?.kind === 'efi-variable' && secureBoot.content.variable.name, 'SecureBoot');
  t.equal(
    secureBoot?.content?.kind === 'efi-variable' && secureBoot.content.variable.vendorGuid,
    '8be4df61-93ca-11d2-aa0d-00e098032b8c',
  );
  const tagged = log.events.find((e) => e.type === EV.EVENT_TAG);
  t.equal(tagged?.content?.kind === 'tagged' && tagged.content.eventId, 0x8f3b22ed);
  const calling = log.events.find((e) => e.type === EV.EFI_ACTION);
  t.same(calling?.content, { kind: 'action', text: 'Calling EFI Application from Boot Option' });
  const app = log.events.find((e) => e.type === EV.EFI_BOOT_SERVICES_APPLICATION);
  t.equal(app?.content?.kind, 'efi-image-load');
  const grub = log.events.find((e) => e.content?.kind === 'ipl' && e.content.grub?.prefix === 'grub_cmd: ');
  t.ok(grub, 'GRUB commands are split into prefix and argument');
  const separator = log.events.find((e) => e.type === EV.SEPARATOR);
  t.same(separator?.content, { kind: 'separator', value: 0 });
  t.end();
});

t.test('systemd-stub measurements: UKI sections in PCR 11, load options in PCR 12', (t) => {
  const utf16 = (s: string) => Buffer.from(`${s}\0`, 'utf16le');
  const cmdline = 'root=/dev/vda2 console=ttyS0';
  const tag = Buffer.concat([u32(0x8f3b22ec), u32(utf16(cmdline).length), utf16(cmdline)]);
  const log = parseEventLog(
    buildAgileLog([
      {
        pcr: 11,
        type: EV.IPL,
        data: utf16('.linux'),
        digests: { sha1: Buffer.alloc(20, 5), sha256: Buffer.alloc(32, 5) },
      },
      {
        pcr: 12,
        type: EV.EVENT_TAG,
        data: tag,
        digests: { sha1: hash('sha1', utf16(cmdline)), sha256: hash('sha256', utf16(cmdline)) },
      },
    ]),
  );
  const section = log.events[1]?.content;
  t.equal(section?.kind === 'ipl' && section.ukiSection, '.linux');
  t.same(kernelCommandLines(log), [{ seq: 2, pcr: 12, source: 'systemd', commandLine: cmdline, digestVerified: true }]);
  t.end();
});

function hash(alg: string, data: Buffer): Buffer {
  return createHash(alg).update(data).digest();
}

t.test('the parsed log does not change when the caller later edits its buffer', (t) => {
  const bytes = buildAgileLog([action(4, 'Calling EFI Application from Boot Option')]);
  const log = parseEventLog(bytes);
  bytes.fill(0);
  t.equal(log.events[1]?.data.toString(), 'Calling EFI Application from Boot Option');
  t.end();
});

// Named attacks on event logs: each edit an attacker with write access to the log could make.
import t from 'tap';
import {
  checkEventLogRules,
  EV,
  parseEventLog,
  replayEventLog,
  verifyReplay,
} from '../../../../lib/attestation/eventlog/index.js';
import { VerificationError } from '../../../../lib/errors.js';
import type { PcrValues } from '../../../../lib/tpm/pcr.js';
import { buildAgileLog, type BuiltEvent } from './log-builder.js';
import { goTpmToolsLogs, pcrValuesFromHex, vector } from './vector-files.js';

const rhelFile = 'tpm/go-tpm-tools/eventlogs/rhel8-uefi.bin';
const rhelExpected = goTpmToolsLogs().find(([name]) => name === 'Rhel8GCE')?.[1];
const rhelPcrs = (): PcrValues => pcrValuesFromHex(rhelExpected?.expected_final_pcrs_upstream ?? {});

function withType(bytes: Buffer, offset: number, type: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(type, offset + 4);
  return copy;
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const CALLING = Buffer.from('Calling EFI Application from Boot Option');
const separator = (pcr: number, value = 0): BuiltEvent => ({ pcr, type: EV.SEPARATOR, data: u32(value) });
const efiApp = (): BuiltEvent => ({
  pcr: 4,
  type: EV.EFI_BOOT_SERVICES_APPLICATION,
  data: Buffer.alloc(32), // UEFI_IMAGE_LOAD_EVENT with an empty device path
  digests: { sha1: Buffer.alloc(20, 0xaa), sha256: Buffer.alloc(32, 0xaa) },
});
function driverConfig(name: string, value: Buffer): BuiltEvent {
  const guid = Buffer.from('61dfe48bca93d211aa0d00e098032b8c', 'hex');
  const lengths = Buffer.alloc(16);
  lengths.writeBigUInt64LE(BigInt(name.length), 0);
  lengths.writeBigUInt64LE(BigInt(value.length), 8);
  return {
    pcr: 7,
    type: EV.EFI_VARIABLE_DRIVER_CONFIG,
    data: Buffer.concat([guid, lengths, Buffer.from(name, 'utf16le'), value]),
  };
}

t.test('retagging: an event relabelled so its data reads differently is rejected', (t) => {
  const bytes = vector(rhelFile);
  const log = parseEventLog(bytes);
  const cases: { name: string; from: number; to: number }[] = [
    { name: 'EFI application retagged as EV_EFI_ACTION', from: EV.EFI_BOOT_SERVICES_APPLICATION, to: EV.EFI_ACTION },
    { name: 'separator retagged as EV_IPL', from: EV.SEPARATOR, to: EV.IPL },
    { name: 'separator retagged as EV_EFI_ACTION', from: EV.SEPARATOR, to: EV.EFI_ACTION },
    { name: 'calling-EFI-application action retagged as EV_IPL', from: EV.EFI_ACTION, to: EV.IPL },
    { name: 'GRUB command retagged as EV_SEPARATOR', from: EV.IPL, to: EV.SEPARATOR },
    { name: 'boot variable retagged as driver config', from: EV.EFI_VARIABLE_BOOT, to: EV.EFI_VARIABLE_DRIVER_CONFIG },
  ];
  for (const c of cases) {
    const victim = log.events.find((e) => e.type === c.from && e.pcr <= 8);
    t.ok(victim, `${c.name}: victim present`);
    const err = t.throws(() => parseEventLog(withType(bytes, victim?.offset ?? 0, c.to)), c.name) as VerificationError;
    t.ok(err instanceof VerificationError, c.name);
    t.equal(err.code, 'EVENTLOG_DIGEST_MISMATCH', c.name);
    t.match(err.message, `event ${victim?.seq} `, `${c.name}: names the event`);
  }
  t.end();
});

t.test('retagging a measured event as EV_NO_ACTION hides it from replay and fails verification', (t) => {
  const bytes = vector(rhelFile);
  const victim = parseEventLog(bytes).events.find((e) => e.type === EV.EFI_BOOT_SERVICES_APPLICATION);
  const log = parseEventLog(withType(bytes, victim?.offset ?? 0, EV.NO_ACTION));
  const err = t.throws(() => {
    verifyReplay(log, rhelPcrs());
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[4\] \(sha1\)/);
  t.match(err.message, /PCR\[4\] \(sha256\)/);
  t.end();
});

t.test('reordering two events in one PCR → replay mismatch naming that PCR', (t) => {
  const bytes = vector(rhelFile);
  const log = parseEventLog(bytes);
  const pcr8 = log.events.filter((e) => e.pcr === 8);
  const [a, b] = [pcr8[0], pcr8[1]];
  t.ok(a && b && a.offset + (b.offset - a.offset) === b.offset);
  const recordEnd = (i: number) => log.events[i + 1]?.offset ?? bytes.length;
  const first = bytes.subarray(a?.offset ?? 0, recordEnd(a?.seq ?? 0));
  const second = bytes.subarray(b?.offset ?? 0, recordEnd(b?.seq ?? 0));
  t.equal(recordEnd(a?.seq ?? 0), b?.offset, 'adjacent records');
  const swapped = Buffer.concat([bytes.subarray(0, a?.offset), second, first, bytes.subarray(recordEnd(b?.seq ?? 0))]);
  const err = t.throws(() => {
    verifyReplay(parseEventLog(swapped), rhelPcrs());
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[8\] \(sha1\) replayed/);
  t.notMatch(err.message, /PCR\[[0-79]\]/, 'other PCRs still match');
  t.end();
});

t.test('bank mismatch: SHA-1 digests claimed as the SHA-256 bank do not replay', (t) => {
  const log = parseEventLog(vector('tpm/go-tpm-tools/eventlogs/debian-10.bin'));
  const sha1 = replayEventLog(log, 'sha1');
  const claimed: PcrValues = { sha256: sha1 };
  const err = t.throws(() => {
    verifyReplay(log, claimed);
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /sha256 bank cannot be replayed: .*the log carries sha1 digests/);
  const agile = parseEventLog(vector(rhelFile));
  const agileSha1 = replayEventLog(agile, 'sha1');
  const err2 = t.throws(() => {
    verifyReplay(agile, { sha256: agileSha1 });
  }) as VerificationError;
  t.equal(err2.code, 'EVENTLOG_REPLAY_MISMATCH');
  const quoted = agileSha1[0]?.toString('hex').slice(0, 8) ?? '';
  t.match(err2.message, `PCR[0] (sha256) replayed 24af52a4…, quoted ${quoted}…`);
  const missing = t.throws(() => replayEventLog(log, 'sha256')) as VerificationError;
  t.equal(missing.code, 'EVENTLOG_BANK_MISSING');
  t.end();
});

t.test('empty log against non-zero PCRs → mismatch for each of them', (t) => {
  const log = parseEventLog(Buffer.alloc(0));
  t.equal(log.events.length, 0);
  const pcrs = rhelPcrs();
  const err = t.throws(() => {
    verifyReplay(log, pcrs);
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /22 PCR value\(s\)/, '11 PCRs in each of 2 banks');
  t.match(err.message, /PCR\[0\] \(sha256\) reset value \(no events\) 00000000…, quoted 24af52a4…/);
  t.doesNotThrow(() => {
    verifyReplay(log, { sha256: { 0: Buffer.alloc(32), 17: Buffer.alloc(32, 0xff) } });
  });
  t.end();
});

t.test('a PCR listed as unlogged must not have events in the log', (t) => {
  const log = parseEventLog(vector(rhelFile));
  const err = t.throws(() => {
    verifyReplay(log, rhelPcrs(), { unloggedPcrs: [8] });
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[8\] \(sha1\) is listed in unloggedPcrs, expected no events for it, got some/);
  t.end();
});

t.test('rule violations on synthetic logs', (t) => {
  const callingAction: BuiltEvent = { pcr: 4, type: EV.EFI_ACTION, data: CALLING };
  const base = [
    separator(0),
    callingAction,
    efiApp(),
    separator(4),
    driverConfig('SecureBoot', Buffer.from([1])),
    separator(7),
  ];
  t.same(checkEventLogRules(parseEventLog(buildAgileLog(base))).violations, [], 'the baseline is clean');

  const cases: { name: string; events: BuiltEvent[]; violation: RegExp }[] = [
    {
      name: 'extra separator in PCR 4',
      events: [...base, separator(4)],
      violation: /^PCR\[4\] EV_SEPARATOR count expected at most 1, got 2 \(events 4, 7\)$/,
    },
    {
      name: 'EFI application before the calling event',
      events: [separator(0), efiApp(), callingAction, separator(4)],
      violation:
        /^PCR\[4\] EV_EFI_BOOT_SERVICES_APPLICATION \(events 2\) expected after .* \(set policy\.tpm\.eventLogRules\.allowEfiAppBeforeCallingEvent=true to accept\)$/,
    },
    {
      name: 'driver config after the PCR 7 separator',
      events: [...base, driverConfig('db', Buffer.alloc(0))],
      violation:
        /^PCR\[7\] EV_EFI_VARIABLE_DRIVER_CONFIG db \(event 7\) expected before the PCR\[7\] separator, got after it$/,
    },
    {
      name: 'separator with the error value',
      events: [separator(0, 0xffffffff), callingAction, efiApp(), separator(4)],
      violation:
        /^PCR\[0\] EV_SEPARATOR \(event 1\) value expected 00000000, got ffffffff \(firmware reported an error\)$/,
    },
    {
      name: 'separator with another value',
      events: [separator(3, 1)],
      violation: /^PCR\[3\] EV_SEPARATOR \(event 1\) value expected 00000000, got 00000001$/,
    },
  ];
  for (const c of cases) {
    const result = checkEventLogRules(parseEventLog(buildAgileLog(c.events)));
    t.equal(result.violations.length, 1, c.name);
    t.match(result.violations[0] ?? '', c.violation, c.name);
  }
  t.end();
});

t.test('a forged separator (wrong digest for its data) is rejected at parse time', (t) => {
  const forged: BuiltEvent = { ...separator(4), digests: { sha1: Buffer.alloc(20, 1), sha256: Buffer.alloc(32, 1) } };
  const err = t.throws(() => parseEventLog(buildAgileLog([forged]))) as VerificationError;
  t.equal(err.code, 'EVENTLOG_DIGEST_MISMATCH');
  t.match(
    err.message,
    /event 1 \(EV_SEPARATOR, PCR\[4\], offset \d+\) sha1 digest 01010101… expected 9069ca78… \(the hash of its data\)/,
  );
  t.end();
});

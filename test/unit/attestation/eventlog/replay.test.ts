// Replay arithmetic on synthetic logs: reset values, StartupLocality, DRTM PCRs, argument checks.
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  EV,
  parseEventLog,
  pcrResetValue,
  replayEventLog,
  secureBootState,
  verifyReplay,
} from '../../../../lib/attestation/eventlog/index.js';
import { InputError, VerificationError } from '../../../../lib/errors.js';
import { buildAgileLog, extend } from './log-builder.js';

const ipl = (pcr: number, text: string) => ({ pcr, type: EV.IPL, data: Buffer.from(text) });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

t.test('reset values', (t) => {
  t.equal(pcrResetValue(0, 'sha256').toString('hex'), '00'.repeat(32));
  t.equal(pcrResetValue(0, 'sha1', 3).toString('hex'), '00'.repeat(19) + '03');
  t.equal(pcrResetValue(4, 'sha1', 3).toString('hex'), '00'.repeat(20), 'locality only affects PCR0');
  t.equal(pcrResetValue(17, 'sha384').toString('hex'), 'ff'.repeat(48));
  t.equal(pcrResetValue(23, 'sha256').toString('hex'), '00'.repeat(32));
  t.end();
});

t.test('replay extends from the reset value; logged DRTM PCRs start from zero', (t) => {
  const log = parseEventLog(
    buildAgileLog([
      { pcr: 0, type: EV.NO_ACTION, data: Buffer.from('StartupLocality\0\x03', 'latin1') },
      ipl(0, 'a'),
      ipl(17, 'b'),
    ]),
  );
  const locality3 = pcrResetValue(0, 'sha256', 3);
  const replayed = replayEventLog(log, 'sha256');
  t.equal(replayed[0]?.toString('hex'), extend('sha256', locality3, sha256(Buffer.from('a'))).toString('hex'));
  t.equal(replayed[17]?.toString('hex'), extend('sha256', Buffer.alloc(32), sha256(Buffer.from('b'))).toString('hex'));
  t.same(Object.keys(replayed), ['0', '17'], 'only extended PCRs are returned');
  t.doesNotThrow(() => {
    verifyReplay(log, { sha256: { 0: replayed[0] ?? Buffer.alloc(0), 18: Buffer.alloc(32, 0xff) } });
  });
  t.end();
});

t.test('banks with no requested PCRs are not replayed', (t) => {
  const log = parseEventLog(buildAgileLog([ipl(4, 'x')], ['sha256']));
  t.doesNotThrow(() => {
    verifyReplay(log, { sha1: {} });
  });
  const err = t.throws(() => {
    verifyReplay(log, { sha1: { 4: Buffer.alloc(20) } });
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.end();
});

t.test('argument validation', (t) => {
  const log = parseEventLog(buildAgileLog([ipl(4, 'x')]));
  const cases: { name: string; run: () => unknown; message: RegExp }[] = [
    { name: 'bank', run: () => replayEventLog(log, 'md5' as 'sha1'), message: /for bank but received "md5"/ },
    {
      name: 'PCR index',
      run: () => {
        verifyReplay(log, { sha1: { 24: Buffer.alloc(20) } });
      },
      message: /Expected PCR indices 0-23 for pcrs.sha1 but received "24"/,
    },
    {
      name: 'PCR value',
      run: () => {
        verifyReplay(log, { sha1: { 4: 'aa' as unknown as Buffer } });
      },
      message: /Expected a Buffer for pcrs.sha1\[4\]/,
    },
  ];
  for (const c of cases) {
    const err = t.throws(c.run, c.name) as InputError;
    t.ok(err instanceof InputError, c.name);
    t.equal(err.code, 'INVALID_ARGUMENT', c.name);
    t.match(err.message, c.message, c.name);
  }
  t.end();
});

t.test('secure boot: a second SecureBoot variable before the separator is malformed', (t) => {
  const variable = (value: number) => {
    const guid = Buffer.from('61dfe48bca93d211aa0d00e098032b8c', 'hex');
    const lengths = Buffer.alloc(16);
    lengths.writeBigUInt64LE(10n, 0);
    lengths.writeBigUInt64LE(1n, 8);
    return {
      pcr: 7,
      type: EV.EFI_VARIABLE_DRIVER_CONFIG,
      data: Buffer.concat([guid, lengths, Buffer.from('SecureBoot', 'utf16le'), Buffer.from([value])]),
    };
  };
  t.equal(secureBootState(parseEventLog(buildAgileLog([variable(1)]))).enabled, true);
  const err = t.throws(() =>
    secureBootState(parseEventLog(buildAgileLog([variable(0), variable(1)]))),
  ) as VerificationError;
  t.equal(err.code, 'EVENTLOG_MALFORMED');
  t.match(err.message, /Expected one SecureBoot variable event at offset \d+, found a second one/);
  t.end();
});

t.test('partially logged PCR: unlogged extensions after the logged events', (t) => {
  // PCR 11 as systemd-stub logs it, then systemd-pcrphase extends "sysinit" and "ready" without logging.
  const log = parseEventLog(buildAgileLog([ipl(4, 'uki'), ipl(11, '.linux'), ipl(11, 'kernel')]));
  const replayed = replayEventLog(log, 'sha256');
  const logged11 = replayed[11] ?? Buffer.alloc(0);
  const quoted11 = ['sysinit', 'ready'].reduce(
    (value, phase) => extend('sha256', value, sha256(Buffer.from(phase))),
    logged11,
  );
  const pcrs = { sha256: { 4: replayed[4] ?? Buffer.alloc(0), 10: Buffer.alloc(32, 0x10), 11: quoted11 } };
  t.doesNotThrow(() => {
    verifyReplay(log, pcrs, { unloggedPcrs: [10, 15], partiallyLoggedPcrs: [11] });
  }, 'passes when listed as partially logged');
  const err = t.throws(() => {
    verifyReplay(log, pcrs, { unloggedPcrs: [10, 15] });
  }) as VerificationError;
  t.ok(err instanceof VerificationError);
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[11\] \(sha256\) replayed [0-9a-f]+…, quoted/);
  // Listing 11 as unlogged is not the same: it has events.
  const unlogged = t.throws(() => {
    verifyReplay(log, pcrs, { unloggedPcrs: [10, 11] });
  }) as VerificationError;
  t.equal(unlogged.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(unlogged.message, /PCR\[11\] \(sha256\) is listed in unloggedPcrs, expected no events/);
  // Other PCRs are still compared.
  const other = t.throws(() => {
    verifyReplay(
      log,
      { sha256: { ...pcrs.sha256, 4: Buffer.alloc(32) } },
      { unloggedPcrs: [10], partiallyLoggedPcrs: [11] },
    );
  }) as VerificationError;
  t.equal(other.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(other.message, /PCR\[4\]/);
  t.notMatch(other.message, /PCR\[11\]/);
  t.end();
});

t.test('partiallyLoggedPcrs argument validation', (t) => {
  const log = parseEventLog(buildAgileLog([ipl(11, 'x')]));
  const cases: { name: string; options: Parameters<typeof verifyReplay>[2]; message: RegExp }[] = [
    {
      name: 'index out of range',
      options: { partiallyLoggedPcrs: [24] },
      message: /Expected an array of PCR indices 0-23 for partiallyLoggedPcrs/,
    },
    {
      name: 'not an array',
      options: { partiallyLoggedPcrs: 11 as unknown as number[] },
      message: /for partiallyLoggedPcrs/,
    },
    {
      name: 'in both lists',
      options: { unloggedPcrs: [11], partiallyLoggedPcrs: [11] },
      message: /Expected PCRs not also listed in unloggedPcrs for partiallyLoggedPcrs/,
    },
  ];
  for (const c of cases) {
    const err = t.throws(() => {
      verifyReplay(log, { sha256: { 11: Buffer.alloc(32) } }, c.options);
    }, c.name) as InputError;
    t.ok(err instanceof InputError, c.name);
    t.equal(err.code, 'INVALID_ARGUMENT', c.name);
    t.match(err.message, c.message, c.name);
  }
  t.end();
});

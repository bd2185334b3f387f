// The 14 go-tpm-tools firmware logs: parse, replay to the upstream PCRs, kernel command lines, Secure Boot.
import t from 'tap';
import {
  checkEventLogRules,
  kernelCommandLines,
  parseEventLog,
  replayEventLog,
  secureBootState,
  verifyReplay,
} from '../../../../lib/attestation/eventlog/index.js';
import { VerificationError } from '../../../../lib/errors.js';
import { goTpmToolsLogs, pcrValuesFromHex, vector } from './vector-files.js';

const logs = goTpmToolsLogs();

t.test('all 14 upstream logs are listed', (t) => {
  t.equal(logs.length, 14);
  t.end();
});

for (const [name, expected] of logs) {
  t.test(`${name} replays to the upstream PCR values in every listed bank`, (t) => {
    const log = parseEventLog(vector(`tpm/go-tpm-tools/${expected.file}`));
    t.equal(log.events.length, expected.event_count_including_header, 'event count including the header');
    t.equal(log.format, expected.format.startsWith('legacy') ? 'sha1-legacy' : 'crypto-agile');
    const pcrs = pcrValuesFromHex(expected.expected_final_pcrs_upstream);
    t.doesNotThrow(() => {
      verifyReplay(log, pcrs);
    });
    for (const [bank, values] of Object.entries(pcrs)) {
      const replayed = replayEventLog(log, bank as 'sha1');
      for (const [index, value] of Object.entries(values)) {
        t.equal(replayed[Number(index)]?.toString('hex'), value.toString('hex'), `PCR[${index}] ${bank}`);
      }
    }
    t.end();
  });
}

t.test('debian-10 is a legacy SHA-1 log and a claimed PCR0 of zero does not replay', (t) => {
  const log = parseEventLog(vector('tpm/go-tpm-tools/eventlogs/debian-10.bin'));
  t.equal(log.format, 'sha1-legacy');
  t.same(log.banks, ['sha1']);
  const err = t.throws(() => {
    verifyReplay(log, { sha1: { 0: Buffer.alloc(20) } });
  }) as VerificationError;
  t.ok(err instanceof VerificationError);
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[0\] \(sha1\) replayed [0-9a-f]{8}…, quoted 00000000…/);
  t.end();
});

t.test('the four upstream kernel command lines are found, digest-verified', (t) => {
  const withCmdline = logs.filter(([, e]) => e.expected_kernel_cmdline_upstream !== undefined);
  t.equal(withCmdline.length, 4);
  for (const [name, expected] of withCmdline) {
    const lines = kernelCommandLines(parseEventLog(vector(`tpm/go-tpm-tools/${expected.file}`)));
    t.equal(lines.length, 1, `${name}: one kernel_cmdline event`);
    // Upstream keeps GRUB's trailing NUL; we return the command line without it.
    t.equal(lines[0]?.commandLine, expected.expected_kernel_cmdline_upstream?.replace(/\0$/, ''), name);
    t.equal(lines[0]?.source, 'grub');
    t.equal(lines[0]?.pcr, 8);
    t.equal(lines[0]?.digestVerified, true);
  }
  t.end();
});

t.test('systemd-boot UTF-16 load options (arch-linux-workstation) are found in PCR 8', (t) => {
  const lines = kernelCommandLines(parseEventLog(vector('tpm/go-tpm-tools/eventlogs/arch-linux-workstation.bin')));
  t.equal(lines.length, 1);
  t.equal(lines[0]?.source, 'systemd');
  t.equal(lines[0]?.digestVerified, true);
  t.match(lines[0]?.commandLine ?? '', /^initrd=\\intel-ucode\.img .* l1tf=off$/);
  t.end();
});

t.test('a GRUB command line whose digest does not match its text is reported unverified', (t) => {
  const bytes = Buffer.from(vector('tpm/go-tpm-tools/eventlogs/cos-85-amd-sev.bin'));
  const log = parseEventLog(bytes);
  const event = kernelCommandLines(log)[0];
  t.ok(event);
  const position = bytes.indexOf('kernel_cmdline: /syslinux/vmlinuz.A');
  bytes[position + 17] = 'S'.charCodeAt(0); // "/Syslinux": same length, different text
  const lines = kernelCommandLines(parseEventLog(bytes));
  t.equal(lines[0]?.digestVerified, false);
  t.match(lines[0]?.commandLine ?? '', /^\/Syslinux/);
  t.end();
});

t.test('Secure Boot state from PCR 7', (t) => {
  const rhel = secureBootState(parseEventLog(vector('tpm/go-tpm-tools/eventlogs/rhel8-uefi.bin')));
  t.equal(rhel.enabled, true);
  t.ok((rhel.db?.certificates.length ?? 0) > 0, 'db has certificates');
  t.ok((rhel.dbx?.hashes.length ?? 0) > 0, 'dbx has hashes');
  t.ok(rhel.pk !== undefined && rhel.kek !== undefined);
  t.ok(rhel.authorities.every((a) => a.afterSeparator));
  const noSb = secureBootState(parseEventLog(vector('tpm/go-tpm-tools/eventlogs/ubuntu-2104-no-secure-boot.bin')));
  t.equal(noSb.enabled, false);
  // Real firmware: the SecureBoot variable has an empty value; that is "not enabled", never an error.
  const arch = secureBootState(parseEventLog(vector('tpm/go-tpm-tools/eventlogs/arch-linux-workstation.bin')));
  t.equal(arch.enabled, false);
  t.end();
});

t.test(
  'GCE VM logs follow the event-log rules; physical hosts need allowEfiAppBeforeCallingEvent (as upstream)',
  (t) => {
    for (const [name, expected] of logs) {
      const log = parseEventLog(vector(`tpm/go-tpm-tools/${expected.file}`));
      const strict = checkEventLogRules(log);
      if (['ArchLinuxWorkstation', 'GlinuxNoSecureBootLaptop', 'GdcHost'].includes(name)) {
        t.equal(strict.violations.length, 1, name);
        t.match(
          strict.violations[0] ?? '',
          /set policy\.tpm\.eventLogRules\.allowEfiAppBeforeCallingEvent=true to accept/,
        );
        const relaxed = checkEventLogRules(log, { allowEfiAppBeforeCallingEvent: true });
        t.same(relaxed.violations, [], `${name} relaxed`);
        t.equal(relaxed.warnings.length, 1, `${name} keeps a warning`);
      } else {
        t.same(strict.violations, [], name);
      }
    }
    t.end();
  },
);

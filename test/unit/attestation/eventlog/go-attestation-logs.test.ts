// go-attestation's event-log fixtures: unlogged PCRs, option ROMs, missing ExitBootServices events,
// StartupLocality-only logs and a complete Windows Shielded VM log.
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  parseEventLog,
  replayEventLog,
  secureBootState,
  verifyReplay,
} from '../../../../lib/attestation/eventlog/index.js';
import { VerificationError } from '../../../../lib/errors.js';
import type { PcrValues } from '../../../../lib/tpm/pcr.js';
import { pcrValuesFromHex, vector, vectorJson } from './vector-files.js';

interface Expected {
  readonly expected_pcrs_upstream?: Record<string, Record<string, string>>;
}
const expected = vectorJson('tpm/go-attestation/expected.json') as Record<string, Expected>;
const upstreamPcrs = (name: string): PcrValues => pcrValuesFromHex(expected[name]?.expected_pcrs_upstream ?? {});

t.test('sb_cert_eventlog verifies against the upstream SHA-1 and SHA-256 lists with PCR 10 unlogged', (t) => {
  const log = parseEventLog(vector('tpm/go-attestation/sb_cert_eventlog'));
  const pcrs = upstreamPcrs('sb_cert_eventlog');
  t.equal(Object.keys(pcrs.sha1 ?? {}).length, 24);
  t.doesNotThrow(() => {
    verifyReplay(log, pcrs, { unloggedPcrs: [10] });
  });
  const err = t.throws(() => {
    verifyReplay(log, pcrs);
  }) as VerificationError;
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH', 'without unloggedPcrs the IMA PCR 10 value is a mismatch');
  t.match(err.message, /PCR\[10\] \(sha1\) reset value \(no events\) 00000000…, quoted 8284103e…/);
  t.match(err.message, /PCR\[10\] \(sha256\)/);
  const sb = secureBootState(log);
  t.equal(sb.enabled, true);
  const post = sb.authorities.filter((a) => a.afterSeparator);
  t.equal(post.length, 3, '3 post-separator authorities (upstream TestSecureBootBug157)');
  t.ok(
    post.every((a) => a.certificate !== undefined && a.certificate[0] === 0x30),
    'each is a DER certificate',
  );
  t.end();
});

t.test('option_rom_eventlog: legacy SHA-1 log with an option ROM verifies PCR 0-7', (t) => {
  const log = parseEventLog(vector('tpm/go-attestation/option_rom_eventlog'));
  t.equal(log.format, 'sha1-legacy');
  t.doesNotThrow(() => {
    verifyReplay(log, upstreamPcrs('option_rom_eventlog'));
  });
  const sb = secureBootState(log);
  t.equal(sb.authorities.filter((a) => a.afterSeparator).length, 2);
  const driverLoads = log.events.filter((e) => e.pcr === 2 && e.content?.kind === 'efi-image-load');
  t.ok(driverLoads.length > 0, 'the option ROM driver load parses as an image-load event');
  const pciThenOffset = driverLoads.some((e) => {
    const nodes = e.content?.kind === 'efi-image-load' ? (e.content.image.devicePathNodes ?? []) : [];
    const pci = nodes.findIndex((n) => n.type === 1 && n.subType === 1);
    return pci >= 0 && nodes.slice(pci).some((n) => n.type === 4 && n.subType === 8);
  });
  t.ok(pciThenOffset, 'one device path is PCI → relative offset range (upstream PciMmioSource hint)');
  t.end();
});

t.test('ebs_event_missing_eventlog: the strict verifier flags PCR 5', (t) => {
  const log = parseEventLog(vector('tpm/go-attestation/ebs_event_missing_eventlog'));
  const sha1Only = { sha1: upstreamPcrs('ebs_event_missing_eventlog').sha1 ?? {} };
  const err = t.throws(() => {
    verifyReplay(log, sha1Only);
  }) as VerificationError;
  t.ok(err instanceof VerificationError);
  t.equal(err.code, 'EVENTLOG_REPLAY_MISMATCH');
  t.match(err.message, /PCR\[5\] \(sha1\) replayed e5781a2f…, quoted 31245808…/);
  t.equal(err.message.match(/PCR\[/g)?.length, 1, 'only PCR 5 is listed');

  // go-attestation's workaround: the firmware measured but did not log the two ExitBootServices actions.
  const sha1 = (s: string) => createHash('sha1').update(s).digest();
  let pcr5 = replayEventLog(log, 'sha1')[5] ?? Buffer.alloc(20);
  for (const action of ['Exit Boot Services Invocation', 'Exit Boot Services Returned with Success']) {
    pcr5 = createHash('sha1').update(pcr5).update(sha1(action)).digest();
  }
  t.equal(pcr5.toString('hex'), '31245808d6d35849bc394f6343f2b3ff908ed5e3');
  t.end();
});

t.test('short_no_action_eventlog parses as one StartupLocality event with locality 3', (t) => {
  const log = parseEventLog(vector('tpm/go-attestation/short_no_action_eventlog'));
  t.equal(log.events.length, 1);
  t.equal(log.startupLocality, 3);
  t.same(log.events[0]?.content, { kind: 'startup-locality', locality: 3 });
  const pcr0 = Buffer.alloc(32);
  pcr0[31] = 3;
  t.doesNotThrow(() => {
    verifyReplay(log, { sha256: { 0: pcr0 } });
  }, 'PCR0 starts at 00…03');
  t.end();
});

t.test('crypto_agile and coreos_36 logs parse and match the independently computed PCRs', (t) => {
  interface Helper {
    readonly helper_computed_sha256_pcrs_NOT_upstream: Record<string, string>;
  }
  const all = vectorJson('tpm/go-attestation/expected.json') as Record<string, Helper>;
  for (const name of ['crypto_agile_eventlog', 'coreos_36_shielded_vm_no_secure_boot_eventlog']) {
    const log = parseEventLog(vector(`tpm/go-attestation/${name}`));
    const sha256 = all[name]?.helper_computed_sha256_pcrs_NOT_upstream ?? {};
    t.ok(Object.keys(sha256).length >= 8, name);
    t.doesNotThrow(() => {
      verifyReplay(log, pcrValuesFromHex({ SHA256: sha256 }));
    }, name);
  }
  t.end();
});

t.test('windows_gcp_shielded_vm.json: raw log replays all 24 SHA-1 PCRs; Secure Boot enabled', (t) => {
  interface Dump {
    readonly Log: { readonly Raw: string; readonly PCRs: readonly { Index: number; Digest: string }[] };
  }
  const dump = vectorJson('tpm/go-attestation/windows_gcp_shielded_vm.json') as Dump;
  const log = parseEventLog(Buffer.from(dump.Log.Raw, 'base64'));
  t.equal(log.format, 'sha1-legacy');
  const sha1: Record<number, Buffer> = {};
  for (const pcr of dump.Log.PCRs) sha1[pcr.Index] = Buffer.from(pcr.Digest, 'base64');
  t.equal(Object.keys(sha1).length, 24);
  t.equal(sha1[17]?.toString('hex'), 'ff'.repeat(20), 'DRTM PCRs are all-ones');
  t.doesNotThrow(() => {
    verifyReplay(log, { sha1 });
  });
  t.equal(secureBootState(log).enabled, true);
  // Windows separators in PCR 12-14 carry "WBCL", not 00000000: only PCR 0-7 values are constrained.
  t.ok(log.events.some((e) => e.pcr === 12 && e.typeName === 'EV_SEPARATOR' && e.data.toString() === 'WBCL'));
  t.end();
});

import t from 'tap';
import fc from 'fast-check';
import { ConstellationError, InputError } from '../../../../lib/errors.js';
import { parsePolicy } from '../../../../lib/attestation/policy/policy-parser.js';
import { PolicyInvalidError } from '../../../../lib/attestation/policy/policy-issues.js';
import { DEFAULT_UNLOGGED_PCRS } from '../../../../lib/attestation/policy/policy.js';

const PCR4 = '3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969';

function issuesOf(json: unknown): readonly string[] {
  try {
    parsePolicy(json);
  } catch (error) {
    if (error instanceof PolicyInvalidError) return error.issues;
    throw error;
  }
  return [];
}

t.test('an empty policy gets secure defaults', (t) => {
  const policy = parsePolicy({});
  t.equal(policy.tpm.allowSha1Banks, false);
  t.same(policy.tpm.unloggedPcrs, DEFAULT_UNLOGGED_PCRS);
  t.same(policy.tpm.unloggedPcrs, [15, 16, 23]);
  t.equal(policy.tpm.requireSecureBoot, false);
  t.equal(policy.tpm.eventLogRules.enabled, true);
  t.equal(policy.tpm.eventLogRules.allowEfiAppBeforeCallingEvent, false);
  t.equal(policy.snp, undefined);
  t.equal(policy.tdx, undefined);
  t.ok(policy.akTrust.length > 0);
  t.end();
});

t.test('a full policy parses to typed values (JSON text or value)', (t) => {
  const json = {
    tpm: {
      pcrs: { sha256: { 4: { expected: [PCR4, PCR4.toUpperCase()], mode: 'warn' }, 15: { expected: [PCR4] } } },
      unloggedPcrs: [15, 10],
      allowedEvents: { sha384: { 14: ['ab'.repeat(48)] } },
      requireSecureBoot: true,
      eventLogRules: { allowEfiAppBeforeCallingEvent: true },
    },
    snp: { allowDebug: true, minimumTcb: { bootloader: 3, microcode: 115 }, measurements: ['00'.repeat(48)], vmpl: 0 },
    tdx: {
      mrTd: ['11'.repeat(48)],
      rtmrs: { 1: { expected: ['22'.repeat(48)], mode: 'warn' } },
      xfam: { expected: '0x0006' },
    },
    akTrust: ['credential-activation'],
  };
  for (const input of [json, JSON.stringify(json)]) {
    const policy = parsePolicy(input);
    const rule = policy.tpm.pcrs.sha256?.[4];
    t.equal(rule?.mode, 'warn');
    t.equal(rule?.expected.length, 2);
    t.equal(rule?.expected[0]?.toString('hex'), PCR4);
    t.equal(policy.tpm.pcrs.sha256?.[15]?.mode, 'enforce', 'mode defaults to enforce');
    t.same(policy.tpm.unloggedPcrs, [10, 15]);
    t.equal(policy.tpm.allowedEvents.sha384?.[14]?.length, 1);
    t.equal(policy.snp?.allowDebug, true);
    t.same(policy.snp?.minimumTcb, { bootloader: 3, microcode: 115 });
    t.equal(policy.snp?.measurements?.[0]?.length, 48);
    t.equal(policy.tdx?.rtmrs?.[1]?.mode, 'warn');
    t.equal(policy.tdx?.xfam?.expected, 6n);
    t.same(policy.akTrust, ['credential-activation']);
  }
  t.end();
});

t.test('bad hex is reported with its path, and every problem at once', (t) => {
  try {
    parsePolicy({
      tpm: {
        pcrs: { sha256: { 7: { expected: ['3d458cfe55cc'] }, 8: { expected: ['zz'.repeat(32)] } } },
        bogus: 1,
      },
      extra: true,
    });
    t.fail('expected POLICY_INVALID');
  } catch (error) {
    t.ok(error instanceof InputError, 'InputError');
    t.equal((error as InputError).code, 'POLICY_INVALID');
    const issues = (error as PolicyInvalidError).issues;
    t.ok(issues.includes('.tpm.pcrs.sha256.7.expected[0]: expected 64 hex chars, got 12'), issues.join('\n'));
    t.ok(issues.some((i) => i.startsWith('.tpm.pcrs.sha256.8.expected[0]: expected hex digits')));
    t.ok(issues.some((i) => i.startsWith('.tpm.bogus: unknown key')));
    t.ok(issues.some((i) => i.startsWith('.extra: unknown key')));
    t.equal(issues.length, 4);
    t.match((error as Error).message, /4 place/);
  }
  t.end();
});

t.test('unknown keys are rejected at every level', (t) => {
  const cases: [unknown, string][] = [
    [{ tmp: {} }, '.tmp: unknown key'],
    [{ tpm: { pcr: {} } }, '.tpm.pcr: unknown key'],
    [
      { tpm: { pcrs: { sha256: { 4: { expected: [PCR4], enforce: true } } } } },
      '.tpm.pcrs.sha256.4.enforce: unknown key',
    ],
    [{ tpm: { eventLogRules: { strict: true } } }, '.tpm.eventLogRules.strict: unknown key'],
    [{ snp: { allowDebugging: true } }, '.snp.allowDebugging: unknown key'],
    [{ snp: { minimumTcb: { ucode: 1 } } }, '.snp.minimumTcb.ucode: unknown key'],
    [{ tdx: { rtmrs: { 4: { expected: [] } } } }, '.tdx.rtmrs.4: unknown key'],
  ];
  for (const [json, expected] of cases) {
    const issues = issuesOf(json);
    t.ok(
      issues.some((i) => i.startsWith(expected)),
      `${expected} in ${issues.join(' | ')}`,
    );
  }
  t.end();
});

t.test('table: one bad field per case → exactly that issue', (t) => {
  const cases: [unknown, string][] = [
    [{ tpm: { pcrs: { md5: {} } } }, '.tpm.pcrs.md5: unknown PCR bank (expected one of sha1, sha256, sha384, sha512)'],
    [
      { tpm: { pcrs: { sha256: { 24: { expected: [PCR4] } } } } },
      '.tpm.pcrs.sha256.24: expected a PCR index 0-23, got "24"',
    ],
    [
      { tpm: { pcrs: { sha256: { '04': { expected: [PCR4] } } } } },
      '.tpm.pcrs.sha256.04: expected a PCR index 0-23, got "04"',
    ],
    [
      { tpm: { pcrs: { sha256: { 4: { expected: [] } } } } },
      '.tpm.pcrs.sha256.4.expected: expected a non-empty array of sha256 digests in hex, got an array of 0',
    ],
    [
      { tpm: { pcrs: { sha256: { 4: { expected: [PCR4], mode: 'audit' } } } } },
      '.tpm.pcrs.sha256.4.mode: expected "enforce" or "warn", got "audit"',
    ],
    [
      { tpm: { pcrs: { sha384: { 4: { expected: [PCR4] } } } } },
      '.tpm.pcrs.sha384.4.expected[0]: expected 96 hex chars, got 64',
    ],
    [
      { tpm: { pcrs: { sha1: {} } } },
      '.tpm.pcrs.sha1: expected no SHA-1 bank entries, got some (set tpm.allowSha1Banks=true to accept SHA-1)',
    ],
    [{ tpm: { allowSha1Banks: 'yes' } }, '.tpm.allowSha1Banks: expected true or false, got "yes"'],
    [{ tpm: { unloggedPcrs: [15, 15] } }, '.tpm.unloggedPcrs[1]: expected each PCR once, got 15 again'],
    [{ tpm: { unloggedPcrs: [99] } }, '.tpm.unloggedPcrs[0]: expected a PCR index 0-23, got number 99'],
    [
      { tpm: { allowedEvents: { sha256: { 15: [PCR4] } } } },
      '.tpm.allowedEvents.sha256.15: expected a replay-verified PCR, got PCR 15 which is listed in .tpm.unloggedPcrs',
    ],
    [
      { akTrust: ['trust-on-first-use'] },
      '.akTrust[0]: expected one of credential-activation, ak-certificate, pinned-ak-names, tee-report, got "trust-on-first-use"',
    ],
    [
      { akTrust: [] },
      '.akTrust: expected a non-empty array of credential-activation | ak-certificate | pinned-ak-names | tee-report, got an array of 0',
    ],
    [{ snp: { vmpl: 4 } }, '.snp.vmpl: expected an integer 0-3, got number 4'],
    [{ snp: { hostData: 'ab' } }, '.snp.hostData: expected 64 hex chars, got 2'],
    [{ snp: { signingKeys: ['ark'] } }, '.snp.signingKeys[0]: expected one of vcek, vlek, got "ark"'],
    [
      { tdx: { allowedTcbStatuses: ['Fine'] } },
      '.tdx.allowedTcbStatuses[0]: expected one of UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, Revoked, got "Fine"',
    ],
    [
      { tdx: { xfam: { mask: '0x3' } } },
      '.tdx.xfam.expected: expected a 64-bit integer as a decimal or 0x-hex string, got nothing',
    ],
    [{ tdx: 5 }, '.tdx: expected an object, got number 5'],
  ];
  for (const [json, expected] of cases) {
    t.same(issuesOf(json), [expected], expected);
  }
  t.end();
});

t.test('not JSON or not an object → POLICY_INVALID', (t) => {
  for (const input of ['{', '[]', 'null', 42]) {
    t.throws(() => parsePolicy(input), { name: 'PolicyInvalidError', code: 'POLICY_INVALID' });
  }
  t.end();
});

t.test('property: any JSON value parses or fails with POLICY_INVALID, never another error', (t) => {
  const pcrEntry = fc.record(
    { expected: fc.array(fc.oneof(fc.stringMatching(/^[0-9a-f]{0,70}$/), fc.string())), mode: fc.string() },
    { requiredKeys: [] },
  );
  const near = fc.record(
    {
      tpm: fc.record(
        {
          pcrs: fc.dictionary(fc.constantFrom('sha1', 'sha256', 'sha384', 'x'), fc.dictionary(fc.string(), pcrEntry)),
          allowSha1Banks: fc.anything(),
          unloggedPcrs: fc.array(fc.integer({ min: -2, max: 30 })),
          eventLogRules: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      snp: fc.anything(),
      tdx: fc.anything(),
      akTrust: fc.anything(),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), near, fc.string()), (value) => {
      try {
        parsePolicy(value);
      } catch (error) {
        return error instanceof ConstellationError && error.code === 'POLICY_INVALID';
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random policies');
  t.end();
});

t.test('partiallyLoggedPcrs: default [], parsed when each PCR is pinned and enforced', (t) => {
  t.same(parsePolicy({}).tpm.partiallyLoggedPcrs, []);
  const policy = parsePolicy({
    tpm: {
      pcrs: { sha256: { 4: { expected: [PCR4] }, 11: { expected: [PCR4] } } },
      unloggedPcrs: [10, 15, 16, 23],
      partiallyLoggedPcrs: [11],
    },
  });
  t.same(policy.tpm.partiallyLoggedPcrs, [11]);
  t.same(policy.tpm.unloggedPcrs, [10, 15, 16, 23]);
  t.end();
});

t.test('table: partiallyLoggedPcrs errors name the field', (t) => {
  const pin = (mode = 'enforce') => ({ expected: [PCR4], mode });
  const cases: [string, unknown, string[]][] = [
    [
      'unpinned (nothing pinned)',
      { tpm: { partiallyLoggedPcrs: [11] } },
      [
        '.tpm.partiallyLoggedPcrs: expected PCR 11 pinned in .tpm.pcrs (mode "enforce") in every pinned bank, since replay does not prove a partially logged PCR, got it unpinned (no PCR is pinned)',
      ],
    ],
    [
      'unpinned (other PCRs pinned)',
      { tpm: { pcrs: { sha256: { 4: pin() } }, partiallyLoggedPcrs: [11] } },
      [
        '.tpm.partiallyLoggedPcrs: expected PCR 11 pinned in .tpm.pcrs (mode "enforce") in every pinned bank, since replay does not prove a partially logged PCR, got it not pinned in sha256',
      ],
    ],
    [
      'pinned in one pinned bank only',
      {
        tpm: {
          pcrs: { sha256: { 11: pin() }, sha384: { 0: { expected: ['ab'.repeat(48)] } } },
          partiallyLoggedPcrs: [11],
        },
      },
      [
        '.tpm.partiallyLoggedPcrs: expected PCR 11 pinned in .tpm.pcrs (mode "enforce") in every pinned bank, since replay does not prove a partially logged PCR, got it not pinned in sha384',
      ],
    ],
    [
      'pinned only as a warning',
      { tpm: { pcrs: { sha256: { 11: pin('warn') } }, partiallyLoggedPcrs: [11] } },
      [
        '.tpm.partiallyLoggedPcrs: expected PCR 11 pinned in .tpm.pcrs (mode "enforce") in every pinned bank, since replay does not prove a partially logged PCR, got it pinned only with mode "warn"',
      ],
    ],
    [
      'in both lists',
      { tpm: { pcrs: { sha256: { 11: pin() } }, unloggedPcrs: [11, 15], partiallyLoggedPcrs: [11] } },
      [
        '.tpm.partiallyLoggedPcrs: expected PCRs not listed in .tpm.unloggedPcrs, got PCR 11 in both (a PCR either has firmware events or none)',
      ],
    ],
    [
      'allowedEvents on a partially logged PCR',
      {
        tpm: {
          pcrs: { sha256: { 11: pin() } },
          partiallyLoggedPcrs: [11],
          allowedEvents: { sha256: { 11: [PCR4] } },
        },
      },
      [
        '.tpm.allowedEvents.sha256.11: expected a replay-verified PCR, got PCR 11 which is listed in .tpm.partiallyLoggedPcrs',
      ],
    ],
    [
      'index out of range',
      { tpm: { partiallyLoggedPcrs: [24] } },
      ['.tpm.partiallyLoggedPcrs[0]: expected a PCR index 0-23, got number 24'],
    ],
    [
      'not an integer',
      { tpm: { partiallyLoggedPcrs: ['11'] } },
      ['.tpm.partiallyLoggedPcrs[0]: expected a PCR index 0-23, got "11"'],
    ],
    [
      'twice',
      { tpm: { pcrs: { sha256: { 11: pin() } }, partiallyLoggedPcrs: [11, 11] } },
      ['.tpm.partiallyLoggedPcrs[1]: expected each PCR once, got 11 again'],
    ],
    [
      'not an array',
      { tpm: { partiallyLoggedPcrs: 11 } },
      ['.tpm.partiallyLoggedPcrs: expected an array of PCR indices, got number 11'],
    ],
  ];
  for (const [name, json, expected] of cases) {
    t.same(issuesOf(json), expected, name);
    t.throws(() => parsePolicy(json), { name: 'PolicyInvalidError', code: 'POLICY_INVALID' }, name);
    try {
      parsePolicy(json);
    } catch (error) {
      t.ok(error instanceof InputError, `${name}: an InputError`);
    }
  }
  t.end();
});

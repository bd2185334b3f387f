import t from 'tap';
import { InputError, PolicyError } from '../../../../lib/errors.js';
import { enforcePolicy } from '../../../../lib/attestation/policy-result.js';
import { evaluateSnpPolicy, type SnpPolicy } from '../../../../lib/attestation/snp/snp-policy.js';
import { verifySnpReport } from '../../../../lib/attestation/snp/snp-verifier.js';
import { buildReport, forgeHierarchy } from './forged-amd.js';
import { GSG, VIRTEE } from './snp-vectors.js';

const virtee = verifySnpReport({ report: VIRTEE.report, signer: VIRTEE.vcek, now: VIRTEE.now });
const gsg = verifySnpReport({ report: GSG.report, signer: GSG.vcek, now: GSG.now });

// Every check set, matching virtee-milan-vcek exactly.
const full: SnpPolicy = {
  minimumTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 },
  minimumAbi: { major: 0, minor: 0 },
  minimumFirmware: { major: 1, minor: 52 },
  vmpl: 0,
  measurements: [Buffer.alloc(48, 1), virtee.report.measurement],
  hostData: Buffer.alloc(32),
  idKeyDigests: [Buffer.alloc(48)],
  authorKeyDigests: [Buffer.alloc(48)],
  reportData: virtee.report.reportData,
  minimumGuestSvn: 0,
  products: ['Milan-B0'],
  stepping: 0,
  signingKeys: ['vcek'],
};

t.test('virtee-milan-vcek under a full matching policy: no violations, no warnings', (t) => {
  t.same(evaluateSnpPolicy(virtee, full), { violations: [], warnings: [] });
  t.end();
});

t.test('each policy field varied alone gives exactly its violation', (t) => {
  const table: [string, Partial<SnpPolicy>, RegExp, number][] = [
    [
      'TCB rollback: microcode below minimum',
      { minimumTcb: { microcode: 116 } },
      /^SNP reported TCB microcode SPL expected at least 116, got 115$/,
      4,
    ],
    ['snp SPL below minimum', { minimumTcb: { snp: 9 } }, /^SNP reported TCB snp SPL expected at least 9, got 8$/, 4],
    [
      'wrong measurement',
      { measurements: [Buffer.alloc(48, 2)] },
      /^SNP measurement expected 02020202…, got 7a1e5c26…$/,
      1,
    ],
    [
      'wrong reportData binding',
      { reportData: Buffer.alloc(64, 9) },
      /^SNP REPORT_DATA expected 09090909…, got d447b55d…$/,
      1,
    ],
    ['wrong VMPL', { vmpl: 1 }, /^SNP report VMPL expected 1, got 0$/, 1],
    ['wrong host data', { hostData: Buffer.alloc(32, 3) }, /^SNP HOST_DATA expected/, 1],
    ['wrong ID key', { idKeyDigests: [Buffer.alloc(48, 3)] }, /^SNP ID_KEY_DIGEST expected/, 1],
    ['wrong author key', { authorKeyDigests: [Buffer.alloc(48, 3)] }, /^SNP AUTHOR_KEY_DIGEST expected/, 1],
    ['guest SVN too low', { minimumGuestSvn: 1 }, /^SNP GUEST_SVN expected at least 1, got 0$/, 1],
    [
      'ABI too low',
      { minimumAbi: { major: 1, minor: 51 } },
      /^SNP guest policy ABI expected at least 1\.51, got 0\.0$/,
      1,
    ],
    [
      'firmware too old',
      { minimumFirmware: { major: 1, minor: 55 } },
      /^SNP current firmware expected at least 1\.55, got 1\.52$/,
      2,
    ],
    [
      'product not allowed',
      { products: ['Genoa', 'Turin'] },
      /^SNP product expected one of Genoa, Turin, got Milan-B0$/,
      1,
    ],
    ['upstream: stepping 12', { stepping: 12 }, /^SNP product stepping expected 12, got 0$/, 1],
    ['VLEK only', { signingKeys: ['vlek'] }, /^SNP signing key expected vlek, got vcek$/, 1],
    [
      'SMT must be off',
      { requireSmtDisabled: true },
      /^SNP guest policy SMT expected off, got on \(policy\.snp\.requireSmtDisabled is set\)$/,
      1,
    ],
    [
      'single socket required',
      { requireSingleSocket: true },
      /^SNP guest policy SINGLE_SOCKET expected on, got off/,
      1,
    ],
  ];
  for (const [name, change, pattern, count] of table) {
    const result = evaluateSnpPolicy(virtee, { ...full, ...change });
    t.equal(result.violations.length, count, `${name}: ${result.violations.join(' | ')}`);
    t.match(result.violations[0], pattern, name);
    t.throws(
      () => {
        enforcePolicy(result, 'SNP report');
      },
      { constructor: PolicyError, code: 'POLICY_VIOLATION' },
      name,
    );
  }
  t.end();
});

t.test('attack: debug-enabled guest (gsg-milan-vcek) refused by default, accepted with allowDebug', (t) => {
  const refused = evaluateSnpPolicy(gsg, {});
  t.same(refused.violations, [
    'SNP guest policy DEBUG expected off, got on (set policy.snp.allowDebug=true to accept)',
  ]);
  t.throws(
    () => {
      enforcePolicy(refused, 'SNP report');
    },
    {
      constructor: PolicyError,
      code: 'POLICY_VIOLATION',
      violations: refused.violations,
    },
  );
  t.same(evaluateSnpPolicy(gsg, { allowDebug: true }).violations, []);
  t.end();
});

t.test('unset checks become warnings', (t) => {
  const result = evaluateSnpPolicy(virtee, {});
  t.same(result.violations, []);
  t.same(result.warnings, [
    'TCB not checked: policy.snp.minimumTcb is empty',
    'measurement not checked: policy.snp.measurements is empty',
    'host data not checked: policy.snp.hostData is unset',
    'ID key not checked: policy.snp.idKeyDigests is empty',
    'author key not checked: policy.snp.authorKeyDigests is empty',
    'report data not checked: policy.snp.reportData is unset (no nonce/key binding)',
    'product not checked: policy.snp.products is empty',
  ]);
  t.match(evaluateSnpPolicy(virtee, { minimumTcb: { fmc: 1 } }).warnings, [/fmc ignored: Milan has no fmc SPL/]);
  t.end();
});

t.test('attacks on validly signed reports: rollback, VMPL, migration agent, reserved bits', async (t) => {
  const milan = await forgeHierarchy('Milan');
  const chip = Buffer.alloc(64, 0x5c);
  const signer = await milan.issueSigner({
    kind: 'vcek',
    productName: 'Milan-B0',
    spls: { bootloader: 3, tee: 0, snp: 8, microcode: 115 },
    hwId: chip,
  });
  const verify = (fields: Partial<Parameters<typeof buildReport>[0]>) =>
    verifySnpReport({
      report: signer.sign(buildReport({ tcb: 0x7308000000000003n, chipId: chip, ...fields })),
      signer: signer.der,
      chain: milan.chainPem,
      trustedRoots: { Milan: milan.arkPem },
      now: new Date('2024-12-01T00:00:00Z'),
    });
  const minimumTcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };
  // Guest launched on older firmware, or the committed TCB rolled back: the reported TCB alone looks fine.
  t.same(evaluateSnpPolicy(verify({ launchTcb: 0x4408000000000003n }), { minimumTcb }).violations, [
    'SNP launch TCB microcode SPL expected at least 115, got 68',
  ]);
  t.same(evaluateSnpPolicy(verify({ committedTcb: 0x7305000000000003n }), { minimumTcb }).violations, [
    'SNP committed TCB snp SPL expected at least 8, got 5',
  ]);
  t.same(evaluateSnpPolicy(verify({ vmpl: 2 }), {}).violations, ['SNP report VMPL expected 0, got 2']);
  t.same(evaluateSnpPolicy(verify({ vmpl: 2 }), { vmpl: 2 }).violations, []);
  t.same(evaluateSnpPolicy(verify({ policy: 0x70000n }), {}).violations, [
    'SNP guest policy MIGRATE_MA expected off, got on (set policy.snp.allowMigrationAgent=true to accept)',
  ]);
  t.same(evaluateSnpPolicy(verify({ policy: 0x70000n }), { allowMigrationAgent: true }).violations, []);
  t.same(evaluateSnpPolicy(verify({ policy: 0x30000n | (1n << 40n) }), {}).violations, [
    'SNP guest policy reserved bits 26..63 expected 0, got 0x4000',
  ]);
  t.same(
    evaluateSnpPolicy(verify({ policy: 0x130000n }), { requireSingleSocket: true, requireSmtDisabled: false })
      .violations,
    [],
  );
  t.end();
});

t.test('malformed policies are InputError INVALID_ARGUMENT', (t) => {
  const cases: [string, SnpPolicy][] = [
    ['measurement of 32 bytes', { measurements: [Buffer.alloc(32)] }],
    ['reportData of 32 bytes', { reportData: Buffer.alloc(32) }],
    ['hostData of 48 bytes', { hostData: Buffer.alloc(48) }],
    ['digest as hex string', { idKeyDigests: ['00' as unknown as Uint8Array] }],
    ['vmpl 4', { vmpl: 4 }],
    ['negative SPL', { minimumTcb: { microcode: -1 } }],
    ['fractional SVN', { minimumGuestSvn: 1.5 }],
  ];
  for (const [name, policy] of cases) {
    t.throws(() => evaluateSnpPolicy(virtee, policy), { constructor: InputError, code: 'INVALID_ARGUMENT' }, name);
  }
  t.end();
});

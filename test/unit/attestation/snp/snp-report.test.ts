import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import { parseSnpReport, SNP_REPORT_SIZE } from '../../../../lib/attestation/snp/snp-report.js';
import { decodeTcb, formatTcb } from '../../../../lib/attestation/snp/tcb-version.js';
import { AZURE_HCL_REPORT, GSG, VIRTEE, expectedVector } from './snp-vectors.js';
import { buildReport } from './forged-amd.js';

const hex = (b: Buffer): string => b.toString('hex');

for (const [id, bytes] of [
  ['gsg-milan-vcek', GSG.report],
  ['virtee-milan-vcek', VIRTEE.report],
] as const) {
  t.test(`${id}: every field matches expected.json`, (t) => {
    const f = expectedVector(id).fields!;
    const r = parseSnpReport(bytes);
    t.equal(r.version, f.version);
    t.equal(r.guestSvn, f.guest_svn);
    t.equal(`0x${r.policy.raw.toString(16)}`, f.policy);
    t.equal(r.vmpl, f.vmpl);
    t.equal(r.signatureAlgo, f.signature_algo);
    t.equal(`0x${r.platformInfo.raw.toString(16)}`, f.platform_info);
    t.equal(r.signingKey, f.signing_key === 0 ? 'vcek' : 'other');
    t.equal(r.authorKeyEn, false);
    t.equal(r.maskChipKey, false);
    t.equal(`0x${r.currentTcb.toString(16)}`, f.current_tcb);
    t.equal(`0x${r.reportedTcb.toString(16)}`, f.reported_tcb);
    t.equal(`0x${r.committedTcb.toString(16)}`, f.committed_tcb);
    t.equal(`0x${r.launchTcb.toString(16)}`, f.launch_tcb);
    for (const [raw, parts] of [
      [r.currentTcb, f.current_tcb_parts],
      [r.reportedTcb, f.reported_tcb_parts],
      [r.launchTcb, f.launch_tcb_parts],
    ] as const) {
      const tcb = decodeTcb(raw, 'Milan');
      t.same([tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode], [parts.bl, parts.tee, parts.snp, parts.ucode]);
      t.equal(tcb.fmc, undefined);
    }
    t.same([r.currentBuild, r.currentMinor, r.currentMajor], f['current_build/minor/major']);
    t.same([r.committedBuild, r.committedMinor, r.committedMajor], f['current_build/minor/major']);
    t.equal(hex(r.reportData), f.report_data);
    t.equal(hex(r.measurement), f.measurement);
    t.equal(hex(r.hostData), f.host_data);
    t.equal(hex(r.idKeyDigest), f.id_key_digest);
    t.equal(hex(r.authorKeyDigest), f.author_key_digest);
    t.equal(hex(r.familyId), f.family_id);
    t.equal(hex(r.imageId), f.image_id);
    t.equal(hex(r.reportId), f.report_id);
    t.equal(hex(r.chipId), f.chip_id);
    t.equal(r.cpuid, undefined, 'v2 has no CPUID');
    t.equal(r.product, undefined);
    t.equal(r.signatureR.length, 72);
    t.equal(r.signatureS.length, 72);
    t.ok(r.signatureR.subarray(0, 48).some((b) => b !== 0));
    t.end();
  });
}

t.test('gsg-milan-vcek guest policy bits: SMT and DEBUG allowed', (t) => {
  const p = parseSnpReport(GSG.report).policy;
  t.same(
    {
      smt: p.smtAllowed,
      debug: p.debugAllowed,
      ma: p.migrateMaAllowed,
      single: p.singleSocketRequired,
      abi: [p.abiMajor, p.abiMinor],
    },
    { smt: true, debug: true, ma: false, single: false, abi: [0, 0] },
  );
  t.equal(parseSnpReport(VIRTEE.report).policy.debugAllowed, false);
  t.end();
});

t.test('virtee .hex is the same report as the .bin', (t) => {
  t.ok(Buffer.from(VIRTEE.reportHex.replace(/\s+/g, ''), 'hex').equals(VIRTEE.report));
  t.end();
});

t.test('Azure HCL report: SNP report at bytes 32..1216 parses', (t) => {
  const r = parseSnpReport(AZURE_HCL_REPORT.subarray(32, 32 + SNP_REPORT_SIZE));
  t.equal(r.version, 2);
  t.equal(r.guestSvn, 2);
  t.equal(r.policy.raw, 0x3001fn);
  t.equal(r.policy.abiMinor, 0x1f);
  t.equal(hex(r.reportData.subarray(0, 4)), '1d0a466a');
  t.end();
});

t.test('v3 report: CPUID family/model/stepping name the product', (t) => {
  const table = [
    [0x19, 0x01, 'Milan'],
    [0x19, 0x11, 'Genoa'],
    [0x19, 0xa0, 'Genoa'],
    [0x1a, 0x02, 'Turin'],
    [0x17, 0x31, undefined],
  ] as const;
  for (const [family, model, product] of table) {
    const r = parseSnpReport(buildReport({ version: 3, tcb: 1n, cpuid: { family, model, stepping: 1 } }));
    t.same(r.cpuid, { family, model, stepping: 1 });
    t.equal(r.product, product, `family 0x${family.toString(16)} model 0x${model.toString(16)}`);
  }
  t.end();
});

t.test('v5 report: mitigation vectors', (t) => {
  const bytes = buildReport({ version: 5, tcb: 1n });
  bytes.writeBigUInt64LE(3n, 0x1f8);
  bytes.writeBigUInt64LE(7n, 0x200);
  const r = parseSnpReport(bytes);
  t.equal(r.launchMitVector, 3n);
  t.equal(r.currentMitVector, 7n);
  t.equal(parseSnpReport(buildReport({ version: 2, tcb: 1n })).launchMitVector, undefined);
  t.end();
});

t.test('TCB decoding per product: Turin has an FMC byte and another layout', (t) => {
  const raw = 0x0900000004030201n;
  t.same(decodeTcb(raw, 'Turin'), { raw, fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9 });
  t.same(decodeTcb(raw, 'Genoa'), { raw, bootloader: 1, tee: 2, snp: 0, microcode: 9 });
  t.equal(formatTcb(decodeTcb(0x4405000000000002n, 'Milan')), 'BL 2 TEE 0 SNP 5 uCode 68 (0x4405000000000002)');
  t.end();
});

t.test('malformed reports: VerificationError SNP_REPORT_MALFORMED, one field varied per case', (t) => {
  const base = (): Buffer => Buffer.from(GSG.report);
  const cases: [string, () => Uint8Array][] = [
    ['empty', () => new Uint8Array()],
    ['one byte short', () => base().subarray(0, SNP_REPORT_SIZE - 1)],
    ['one byte long', () => Buffer.concat([base(), Buffer.alloc(1)])],
    [
      'version 1',
      () => {
        const b = base();
        b.writeUInt32LE(1, 0);
        return b;
      },
    ],
    [
      'version 6',
      () => {
        const b = base();
        b.writeUInt32LE(6, 0);
        return b;
      },
    ],
    [
      'policy bit 17 clear',
      () => {
        const b = base();
        b[0x0a] = (b[0x0a] ?? 0) & ~0x02;
        return b;
      },
    ],
    [
      'signing key 2',
      () => {
        const b = base();
        b.writeUInt32LE(2 << 2, 0x48);
        return b;
      },
    ],
    [
      'key info high bits',
      () => {
        const b = base();
        b.writeUInt32LE(1 << 8, 0x48);
        return b;
      },
    ],
    [
      'reserved 0x4c',
      () => {
        const b = base();
        b[0x4c] = 1;
        return b;
      },
    ],
    [
      'v2 reserved CPUID area',
      () => {
        const b = base();
        b[0x188] = 0x19;
        return b;
      },
    ],
    [
      'reserved after CPUID',
      () => {
        const b = base();
        b[0x19f] = 1;
        return b;
      },
    ],
    [
      'reserved after current version',
      () => {
        const b = base();
        b[0x1eb] = 1;
        return b;
      },
    ],
    [
      'reserved after committed version',
      () => {
        const b = base();
        b[0x1ef] = 1;
        return b;
      },
    ],
    [
      'reserved after launch TCB',
      () => {
        const b = base();
        b[0x29f] = 1;
        return b;
      },
    ],
    [
      'signature R high bytes',
      () => {
        const b = base();
        b[0x2a0 + 60] = 1;
        return b;
      },
    ],
    [
      'signature S high bytes',
      () => {
        const b = base();
        b[0x2e8 + 71] = 1;
        return b;
      },
    ],
    [
      'signature reserved area',
      () => {
        const b = base();
        b[SNP_REPORT_SIZE - 1] = 1;
        return b;
      },
    ],
  ];
  for (const [name, make] of cases) {
    t.throws(() => parseSnpReport(make()), { constructor: VerificationError, code: 'SNP_REPORT_MALFORMED' }, name);
  }
  t.throws(() => parseSnpReport('x' as unknown as Uint8Array), {
    constructor: VerificationError,
    code: 'SNP_REPORT_MALFORMED',
  });
  t.end();
});

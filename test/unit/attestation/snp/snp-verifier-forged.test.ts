// Paths no public vector covers (VLEK, Turin and v3 reports, a validly signed report whose TCB exceeds
// the VCEK, chip-id mismatch), using a generated hierarchy trusted only through `trustedRoots`, and the
// attacker's view: the same hierarchy without that option must be refused as an untrusted root.
import t from 'tap';
import { VerificationError } from '../../../../lib/errors.js';
import { verifySnpReport, type VerifySnpReportOptions } from '../../../../lib/attestation/snp/snp-verifier.js';
import { buildReport, forgeHierarchy, type ForgedSignerSpec } from './forged-amd.js';

const NOW = new Date('2024-12-01T00:00:00Z');
const CHIP = Buffer.alloc(64, 0x5c);
// Milan/Genoa TCB: BL 3, TEE 0, SNP 8, uCode 115 = 0x7308000000000003.
const MILAN_TCB = 0x7308000000000003n;
const MILAN_SPLS = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };
const milanVcek: ForgedSignerSpec = { kind: 'vcek', productName: 'Milan-B0', spls: MILAN_SPLS, hwId: CHIP };

const milan = await forgeHierarchy('Milan');
const milanSigner = await milan.issueSigner(milanVcek);
const trusted = { trustedRoots: { Milan: milan.arkPem } };

function options(report: Buffer, extra: Partial<VerifySnpReportOptions> = {}): VerifySnpReportOptions {
  return { report, signer: milanSigner.der, chain: milan.chainPem, now: NOW, ...trusted, ...extra };
}

t.test('attack: a self-made ARK/ASK/VCEK chain with a correctly signed report is an untrusted root', (t) => {
  const report = milanSigner.sign(buildReport({ tcb: MILAN_TCB, chipId: CHIP }));
  t.throws(() => verifySnpReport({ report, signer: milanSigner.der, chain: milan.chainPem, now: NOW }), {
    constructor: VerificationError,
    code: 'SNP_ROOT_UNTRUSTED',
  });
  // The same chain trusted explicitly verifies: the refusal above is the root pinning, not a broken chain.
  t.equal(verifySnpReport(options(report)).product, 'Milan');
  t.end();
});

t.test('attack: report TCB claims more than the VCEK SPLs → SNP_TCB_MISMATCH naming the component', (t) => {
  const table: [string, bigint, string][] = [
    ['microcode', 0x7408000000000003n, 'microcode'],
    ['snp', 0x7309000000000003n, 'snp'],
    ['bootloader', 0x7308000000000004n, 'bootloader'],
    ['tee', 0x7308000000000103n, 'tee'],
  ];
  for (const [name, reportedTcb, component] of table) {
    const report = milanSigner.sign(buildReport({ tcb: MILAN_TCB, reportedTcb, chipId: CHIP }));
    t.throws(
      () => verifySnpReport(options(report)),
      { constructor: VerificationError, code: 'SNP_TCB_MISMATCH', message: new RegExp(`TCB ${component} `) },
      name,
    );
  }
  t.end();
});

t.test('VCEK hwID must equal the report chip_id; a zero chip_id is reported as masked', (t) => {
  const other = milanSigner.sign(buildReport({ tcb: MILAN_TCB, chipId: Buffer.alloc(64, 0x77) }));
  t.throws(() => verifySnpReport(options(other)), { constructor: VerificationError, code: 'SNP_CHIP_ID_MISMATCH' });
  const masked = milanSigner.sign(buildReport({ tcb: MILAN_TCB, chipId: Buffer.alloc(64) }));
  t.equal(verifySnpReport(options(masked)).chipIdMasked, true);
  t.end();
});

t.test('v3 report: CPUID must name the signer product', (t) => {
  const milanCpu = milanSigner.sign(
    buildReport({ version: 3, tcb: MILAN_TCB, chipId: CHIP, cpuid: { family: 0x19, model: 0x01, stepping: 1 } }),
  );
  t.equal(verifySnpReport(options(milanCpu)).report.cpuid?.family, 0x19);
  const genoaCpu = milanSigner.sign(
    buildReport({ version: 3, tcb: MILAN_TCB, chipId: CHIP, cpuid: { family: 0x19, model: 0x11, stepping: 1 } }),
  );
  t.throws(() => verifySnpReport(options(genoaCpu)), { constructor: VerificationError, code: 'SNP_PRODUCT_MISMATCH' });
  t.end();
});

t.test('Turin: FMC byte in the TCB, 8-byte hwID, v3 CPUID family 0x1A', async (t) => {
  const turin = await forgeHierarchy('Turin');
  const hwId = Buffer.from('1e550a8ee5cf9f4d', 'hex');
  const signer = await turin.issueSigner({
    kind: 'vcek',
    productName: 'Turin',
    spls: { fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9 },
    hwId,
  });
  // Turin TCB: FMC 1, BL 2, TEE 3, SNP 4, uCode 9.
  const tcb = 0x0900000004030201n;
  const chipId = Buffer.concat([hwId, Buffer.alloc(56)]);
  const base = { signer: signer.der, chain: turin.chainPem, now: NOW, trustedRoots: { Turin: turin.arkPem } };
  const report = signer.sign(
    buildReport({ version: 3, tcb, chipId, cpuid: { family: 0x1a, model: 0x02, stepping: 0 } }),
  );
  const state = verifySnpReport({ ...base, report });
  t.same(state.tcb.reported, { raw: tcb, fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9 });
  t.equal(state.product, 'Turin');
  t.equal(state.stepping, undefined);
  const fmcHigher = signer.sign(buildReport({ version: 3, tcb, reportedTcb: tcb + 1n, chipId }));
  t.throws(() => verifySnpReport({ ...base, report: fmcHigher }), {
    constructor: VerificationError,
    code: 'SNP_TCB_MISMATCH',
    message: /TCB fmc /,
  });
  const chipTail = signer.sign(buildReport({ version: 3, tcb, chipId: Buffer.concat([hwId, Buffer.alloc(56, 1)]) }));
  t.throws(() => verifySnpReport({ ...base, report: chipTail }), {
    constructor: VerificationError,
    code: 'SNP_CHIP_ID_MISMATCH',
  });
  t.end();
});

t.test('VLEK: signed by an ASVK, carries cspID, report SIGNING_KEY must be 1', async (t) => {
  const genoa = await forgeHierarchy('Genoa', 'vlek');
  const genoaVcekChain = await forgeHierarchy('Genoa', 'vcek');
  // VLEK certificates are one-year certificates: verified at an injected time inside their validity.
  const signer = await genoa.issueSigner({
    kind: 'vlek',
    productName: 'Genoa',
    spls: MILAN_SPLS,
    cspId: 'AWS',
    notBefore: new Date('2024-06-01T00:00:00Z'),
    notAfter: new Date('2025-06-01T00:00:00Z'),
  });
  const base = { signer: signer.der, chain: genoa.chainPem, now: NOW, trustedRoots: { Genoa: genoa.arkPem } };
  const report = signer.sign(buildReport({ tcb: MILAN_TCB, signingKey: 1 }));
  const state = verifySnpReport({ ...base, report });
  t.equal(state.signingKey, 'vlek');
  t.equal(state.signer.cspId, 'AWS');
  t.equal(state.signer.hwId, undefined);
  const { trustedRoots: _trusted, ...withAmdRoots } = base;
  const cases: [string, VerifySnpReportOptions, string][] = [
    [
      'report says VCEK',
      { ...base, report: signer.sign(buildReport({ tcb: MILAN_TCB, signingKey: 0 })) },
      'SNP_SIGNING_KEY_MISMATCH',
    ],
    ['expired VLEK (collection date)', { ...base, report, now: new Date('2026-11-22T00:00:00Z') }, 'SNP_CERT_EXPIRED'],
    [
      'ASK chain for a VLEK',
      { ...base, report, chain: genoaVcekChain.chainPem, trustedRoots: { Genoa: genoaVcekChain.arkPem } },
      'SNP_CHAIN_INVALID',
    ],
    ['only the real AMD roots trusted', { ...withAmdRoots, report }, 'SNP_ROOT_UNTRUSTED'],
  ];
  for (const [name, options, code] of cases) {
    t.throws(() => verifySnpReport(options), { constructor: VerificationError, code }, name);
  }
  t.end();
});

t.test('signer without required extensions is SNP_CERT_MALFORMED', async (t) => {
  const noHwId = await milan.issueSigner({ kind: 'vcek', productName: 'Milan-B0', spls: MILAN_SPLS });
  const report = noHwId.sign(buildReport({ tcb: MILAN_TCB }));
  t.throws(() => verifySnpReport(options(report, { signer: noHwId.der })), {
    constructor: VerificationError,
    code: 'SNP_CERT_MALFORMED',
  });
  const turinNoFmc = await milan.issueSigner({
    kind: 'vcek',
    productName: 'Turin',
    spls: MILAN_SPLS,
    hwId: Buffer.alloc(8, 1),
  });
  t.throws(() => verifySnpReport(options(report, { signer: turinNoFmc.der })), {
    constructor: VerificationError,
    code: 'SNP_CERT_MALFORMED',
  });
  const badName = await milan.issueSigner({ kind: 'vcek', productName: 'Naples-B0', spls: MILAN_SPLS, hwId: CHIP });
  t.throws(() => verifySnpReport(options(report, { signer: badName.der })), {
    constructor: VerificationError,
    code: 'SNP_PRODUCT_UNKNOWN',
  });
  t.end();
});

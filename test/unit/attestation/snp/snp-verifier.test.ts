// verifySnpReport and verifySnpSigner against real, AMD-signed vectors (test/vectors/sev-snp, azure).
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { InputError, VerificationError } from '../../../../lib/errors.js';
import { AMD_CERT_CHAINS } from '../../../../lib/attestation/snp/amd-roots.js';
import { verifyAmdChain } from '../../../../lib/attestation/snp/amd-chain.js';
import { certificatesFromPem } from '../../../../lib/attestation/snp/amd-certificate.js';
import { verifySnpSigner } from '../../../../lib/attestation/snp/signer-chain.js';
import { parseSnpReport, SNP_REPORT_SIZE } from '../../../../lib/attestation/snp/snp-report.js';
import { verifySnpReport, type VerifySnpReportOptions } from '../../../../lib/attestation/snp/snp-verifier.js';
import { AZURE_CERTS, AZURE_HCL_REPORT, GSG, TURIN_VCEK, VIRTEE, amdChain, expectedVector } from './snp-vectors.js';

const TURIN_NOW = new Date('2025-06-01T00:00:00Z');

t.test('gsg-milan-vcek: valid under its VCEK and the Milan chain', (t) => {
  const state = verifySnpReport({
    report: GSG.report,
    signer: GSG.vcek,
    chain: amdChain('ask_ark_milan.pem'),
    now: GSG.now,
  });
  t.equal(state.product, 'Milan');
  t.equal(state.productName, 'Milan-B0');
  t.equal(state.stepping, 0, 'product stepping 0 (upstream: stepping 12 must not match)');
  t.equal(state.signingKey, 'vcek');
  t.equal(state.chipIdMasked, false);
  t.same(
    [state.tcb.reported.bootloader, state.tcb.reported.tee, state.tcb.reported.snp, state.tcb.reported.microcode],
    [2, 0, 5, 68],
  );
  t.equal(state.signer.fingerprint, expectedVector('gsg-milan-vcek').signer_cert.sha256_fingerprint);
  t.equal(state.chain.arkFingerprint, '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd');
  t.equal(state.report.measurement.toString('hex').slice(0, 8), 'b07af962');
  t.end();
});

t.test('gsg-milan-vcek: default (shipped) chain, PEM signer, explicit product, parsed report', (t) => {
  const pem = new X509Certificate(GSG.vcek).toString();
  for (const options of [
    { report: GSG.report, signer: GSG.vcek, now: GSG.now },
    { report: GSG.report, signer: pem, now: GSG.now },
    { report: GSG.report, signer: GSG.vcek, product: 'Milan', now: GSG.now },
    { report: parseSnpReport(GSG.report), signer: GSG.vcek, now: GSG.now },
  ] satisfies VerifySnpReportOptions[]) {
    t.equal(verifySnpReport(options).product, 'Milan');
  }
  t.end();
});

t.test('virtee-milan-vcek: valid', (t) => {
  const state = verifySnpReport({
    report: VIRTEE.report,
    signer: VIRTEE.vcek,
    chain: amdChain('ask_ark_milan.pem'),
    now: VIRTEE.now,
  });
  t.same(
    [state.tcb.reported.bootloader, state.tcb.reported.tee, state.tcb.reported.snp, state.tcb.reported.microcode],
    [3, 0, 8, 115],
  );
  t.equal(state.report.policy.debugAllowed, false);
  t.end();
});

t.test('a hand-edited parsed report cannot bypass the signature: fields come from the signed bytes', (t) => {
  const parsed = parseSnpReport(VIRTEE.report);
  const forged = { ...parsed, measurement: Buffer.alloc(48, 0x42) };
  const state = verifySnpReport({ report: forged, signer: VIRTEE.vcek, now: VIRTEE.now });
  t.ok(state.report.measurement.equals(parsed.measurement));
  t.end();
});

t.test('Turin VCEK → Turin chain valid; another product’s chain is refused', (t) => {
  const verified = verifySnpSigner({ signer: TURIN_VCEK, chain: amdChain('ask_ark_turin_vcek.pem'), now: TURIN_NOW });
  t.equal(verified.product, 'Turin');
  t.equal(verified.signer.hwId?.length, 8);
  t.equal(verified.signer.spls.fmc, 0);
  t.equal(verifySnpSigner({ signer: TURIN_VCEK, now: TURIN_NOW }).chain.ark.subjectCommonName, 'ARK-Turin');
  for (const chain of [
    amdChain('ask_ark_milan.pem'),
    amdChain('ask_ark_genoa.pem'),
    amdChain('ask_ark_turin_vlek.pem'),
  ]) {
    t.throws(() => verifySnpSigner({ signer: TURIN_VCEK, chain, now: TURIN_NOW }), {
      constructor: VerificationError,
      code: 'SNP_CHAIN_INVALID',
    });
  }
  t.throws(() => verifySnpSigner({ signer: GSG.vcek, chain: amdChain('ask_ark_turin_vcek.pem'), now: GSG.now }), {
    constructor: VerificationError,
    code: 'SNP_CHAIN_INVALID',
  });
  t.end();
});

t.test('cached chain: verified once, reused, still checked for product, kind and time', (t) => {
  const now = VIRTEE.now;
  const milan = verifyAmdChain({ product: 'Milan', now });
  t.equal(verifySnpReport({ report: GSG.report, signer: GSG.vcek, chain: milan, now }).product, 'Milan');
  t.equal(verifySnpReport({ report: VIRTEE.report, signer: VIRTEE.vcek, chain: milan, now }).product, 'Milan');
  const genoa = verifyAmdChain({ product: 'Genoa', now });
  const milanVlek = verifyAmdChain({ product: 'Milan', kind: 'vlek', now });
  const base = { report: VIRTEE.report, signer: VIRTEE.vcek, now };
  const cases: [string, VerifySnpReportOptions, string][] = [
    ['Genoa chain for a Milan VCEK', { ...base, chain: genoa }, 'SNP_CHAIN_INVALID'],
    ['ASVK chain for a VCEK', { ...base, chain: milanVlek }, 'SNP_CHAIN_INVALID'],
    ['cached chain after ARK expiry', { ...base, chain: milan, now: new Date('2046-01-01') }, 'SNP_CERT_EXPIRED'],
  ];
  for (const [name, options, code] of cases) {
    t.throws(() => verifySnpReport(options), { constructor: VerificationError, code }, name);
  }
  // The VCEK is now remembered under this chain; the remembered path still checks time, product and bytes.
  const again = verifySnpReport({ ...base, chain: milan });
  t.equal(again.signer.fingerprint, expectedVector('virtee-milan-vcek').signer_cert.sha256_fingerprint);
  const flipped = Buffer.from(VIRTEE.vcek);
  flipped[flipped.length - 3]! ^= 0x01;
  const remembered: [string, VerifySnpReportOptions, string][] = [
    ['remembered VCEK after its expiry', { ...base, chain: milan, now: new Date('2031-01-01') }, 'SNP_CERT_EXPIRED'],
    ['remembered VCEK, product Genoa asked', { ...base, chain: milan, product: 'Genoa' }, 'SNP_PRODUCT_MISMATCH'],
    ['other bytes are not remembered', { ...base, chain: milan, signer: flipped }, 'SNP_CHAIN_INVALID'],
    ['remembered VCEK, foreign report', { ...base, chain: milan, report: GSG.report }, 'SNP_SIGNATURE_INVALID'],
  ];
  for (const [name, options, code] of remembered) {
    t.throws(() => verifySnpReport(options), { constructor: VerificationError, code }, name);
  }
  // A look-alike object did not go through verifyAmdChain and is not trusted.
  const lookAlike = { ...milan };
  t.throws(() => verifySnpReport({ ...base, chain: lookAlike }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
  });
  t.end();
});

t.test('negative cases on real vectors: one thing varied per case (class and code)', (t) => {
  const flip = (bytes: Buffer, index: number, mask: number): Buffer => {
    const copy = Buffer.from(bytes);
    copy[index]! ^= mask;
    return copy;
  };
  const set32 = (bytes: Buffer, offset: number, value: number): Buffer => {
    const copy = Buffer.from(bytes);
    copy.writeUInt32LE(value, offset);
    return copy;
  };
  const ok: VerifySnpReportOptions = { report: VIRTEE.report, signer: VIRTEE.vcek, now: VIRTEE.now };
  const cases: [string, Partial<VerifySnpReportOptions>, string][] = [
    [
      'report byte 21 flipped (upstream milan_report_invalid)',
      { report: flip(VIRTEE.report, 21, 0x80) },
      'SNP_SIGNATURE_INVALID',
    ],
    ['report measurement byte flipped', { report: flip(VIRTEE.report, 0x90, 0x01) }, 'SNP_SIGNATURE_INVALID'],
    ['report signature R flipped', { report: flip(VIRTEE.report, 0x2a0, 0x01) }, 'SNP_SIGNATURE_INVALID'],
    [
      'VCEK DER byte 40 flipped (upstream milan_chain_invalid)',
      { signer: flip(VIRTEE.vcek, 40, 0xff) },
      'SNP_CHAIN_INVALID',
    ],
    ['VCEK signature byte flipped', { signer: flip(VIRTEE.vcek, VIRTEE.vcek.length - 3, 0x01) }, 'SNP_CHAIN_INVALID'],
    ['VCEK of another chip', { signer: GSG.vcek, now: GSG.now }, 'SNP_SIGNATURE_INVALID'],
    ['expired at a far future time', { now: new Date('2031-01-01T00:00:00Z') }, 'SNP_CERT_EXPIRED'],
    ['before the VCEK was issued', { now: new Date('2023-01-01T00:00:00Z') }, 'SNP_CERT_NOT_YET_VALID'],
    ['Genoa chain', { chain: amdChain('ask_ark_genoa.pem') }, 'SNP_CHAIN_INVALID'],
    ['Milan ASVK chain for a VCEK', { chain: amdChain('ask_ark_milan_vlek.pem') }, 'SNP_CHAIN_INVALID'],
    ['product Genoa asked for a Milan VCEK', { product: 'Genoa' }, 'SNP_PRODUCT_MISMATCH'],
    ['signature algorithm 2', { report: set32(VIRTEE.report, 0x34, 2) }, 'SNP_SIGNATURE_ALGORITHM_UNSUPPORTED'],
    ['signing key VLEK with a VCEK', { report: set32(VIRTEE.report, 0x48, 1 << 2) }, 'SNP_SIGNING_KEY_MISMATCH'],
    ['signing key none', { report: set32(VIRTEE.report, 0x48, 7 << 2) }, 'SNP_SIGNING_KEY_MISMATCH'],
    ['MASK_CHIP_KEY set', { report: set32(VIRTEE.report, 0x48, 2) }, 'SNP_SIGNATURE_INVALID'],
    ['truncated report', { report: VIRTEE.report.subarray(0, 1000) }, 'SNP_REPORT_MALFORMED'],
    ['ASK used as signer', { signer: certificatesFromPem(AMD_CERT_CHAINS.Milan.vcek)[0]! }, 'SNP_CERT_MALFORMED'],
  ];
  for (const [name, change, code] of cases) {
    t.throws(() => verifySnpReport({ ...ok, ...change }), { constructor: VerificationError, code }, name);
  }
  t.end();
});

t.test('invalid arguments are InputError INVALID_ARGUMENT', (t) => {
  const cases: [string, Partial<VerifySnpReportOptions>][] = [
    ['now missing', { now: undefined as unknown as Date }],
    ['now invalid', { now: new Date('not a date') }],
    ['product unknown', { product: 'Rome' as 'Milan' }],
    ['signer a number', { signer: 7 as unknown as string }],
    ['report a string', { report: 'abc' as unknown as Uint8Array }],
  ];
  for (const [name, change] of cases) {
    t.throws(
      () => verifySnpReport({ report: GSG.report, signer: GSG.vcek, now: GSG.now, ...change }),
      {
        constructor: InputError,
        code: 'INVALID_ARGUMENT',
      },
      name,
    );
  }
  t.end();
});

t.test('Azure HCL report with certs.pem (another chip): the chain is fine, the report must fail', (t) => {
  const [vcek, ask, ark] = certificatesFromPem(AZURE_CERTS);
  const chain = `-----BEGIN CERTIFICATE-----\n${ask!.toString('base64')}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n${ark!.toString('base64')}\n-----END CERTIFICATE-----\n`;
  const x = new X509Certificate(vcek!);
  const now = new Date((new Date(x.validFrom).getTime() + new Date(x.validTo).getTime()) / 2);
  const signer = verifySnpSigner({ signer: vcek!, chain, now });
  t.equal(signer.product, 'Milan');
  t.equal(signer.signer.hwId?.toString('hex').slice(0, 8), 'da8a5695');
  const report = AZURE_HCL_REPORT.subarray(32, 32 + SNP_REPORT_SIZE);
  t.equal(parseSnpReport(report).chipId.toString('hex').slice(0, 8), '3a5d5b1d');
  t.throws(() => verifySnpReport({ report, signer: vcek!, chain, now }), {
    constructor: VerificationError,
    code: 'SNP_SIGNATURE_INVALID',
  });
  t.end();
});

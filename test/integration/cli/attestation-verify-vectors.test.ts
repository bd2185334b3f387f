// `constellation attestation verify` on every real attestation vector, through the raw evidence forms:
// exit code and key output lines; a flipped byte in a signed region of each evidence type → exit 3.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { flipped, runCliProcess, vector, VECTORS } from './cli-process.js';

const SNP = 'sev-snp/';
const TDX = 'tdx/go-tdx-guest/';
const GCP = 'gcp/go-tpm-tools/attestations/';
const AZ = 'azure/azure-cvm-tooling/';

type Files = Record<string, Buffer | string>;

/** Writes files into a fresh directory and returns a function resolving names in it. */
function files(t: Test, content: Files): (name: string) => string {
  const dir = t.testdir({});
  for (const [name, data] of Object.entries(content)) writeFileSync(`${dir}/${name}`, data);
  return (name) => `${dir}/${name}`;
}

const allowDebugPolicy = JSON.stringify({ snp: { allowDebug: true } });
const noCollateralPolicy = JSON.stringify({ tdx: { allowMissingCollateral: true } });

t.test('SEV-SNP: go-sev-guest Milan report', async (t) => {
  const p = files(t, { 'policy.json': allowDebugPolicy });
  const args = [
    'attestation',
    'verify',
    '--snp-report',
    `${VECTORS}${SNP}go-sev-guest/attestation.bin`,
    '--signer-cert',
    `${VECTORS}${SNP}go-sev-guest/vcek.testcer`,
  ];
  const ok = await runCliProcess([...args, '--nonce', '0102030405', '--policy', p('policy.json')]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^status: verified$/m);
  t.match(ok.stdout, /^product: Milan-B0$/m);
  t.match(ok.stdout, /^measurement: b07af962\w+2b01$/m);
  t.match(ok.stdout, /^reported TCB: BL 2 TEE 0 SNP 5 uCode 68/m);

  const debug = await runCliProcess([...args, '--nonce', '0102030405']);
  t.equal(debug.code, 4, 'DEBUG allowed by the guest policy violates the default policy');
  const violation = 'SNP guest policy DEBUG expected off, got on (set policy.snp.allowDebug=true to accept)';
  t.ok(debug.stdout.includes(violation), 'violation on stdout');
  t.ok(debug.stderr.includes(violation), 'violation on stderr');

  const chain = await runCliProcess([
    ...args,
    '--cert-chain',
    `${VECTORS}${SNP}amd-roots/ask_ark_milan.pem`,
    '--nonce',
    '0102030405',
    '--policy',
    p('policy.json'),
  ]);
  t.equal(chain.code, 0, `explicit Milan chain: ${chain.stderr}`);

  const stale = await runCliProcess([...args, '--nonce', '01020304ff', '--policy', p('policy.json')]);
  t.equal(stale.code, 3, 'another nonce');
  t.match(stale.stderr, /REPORT_DATA_MISMATCH/);

  const genoa = await runCliProcess([
    ...args,
    '--cert-chain',
    `${VECTORS}${SNP}amd-roots/ask_ark_genoa.pem`,
    '--nonce',
    '0102030405',
  ]);
  t.equal(genoa.code, 3, 'the Genoa chain does not certify a Milan VCEK');
});

t.test('SEV-SNP: virtee Milan report, and its upstream negatives', async (t) => {
  const report = vector(`${SNP}virtee-sev/report_milan.bin`);
  const vcek = vector(`${SNP}virtee-sev/vcek_milan.der`);
  const nonce =
    'd447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd';
  const p = files(t, {
    'report.bin': report,
    'flip21.bin': flipped(report, 21, 0x80),
    'flip-measurement.bin': flipped(report, 0x90),
    'vcek.der': vcek,
    'vcek-flip40.der': flipped(vcek, 40, 0xff),
  });
  const run = (reportFile: string, vcekFile: string): ReturnType<typeof runCliProcess> =>
    runCliProcess([
      'attestation',
      'verify',
      '--snp-report',
      p(reportFile),
      '--signer-cert',
      p(vcekFile),
      '--nonce',
      nonce,
    ]);
  const ok = await run('report.bin', 'vcek.der');
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^reported TCB: BL 3 TEE 0 SNP 8 uCode 115/m);
  for (const [name, reportFile, vcekFile] of [
    ['report byte 21 ^ 0x80', 'flip21.bin', 'vcek.der'],
    ['a measurement byte', 'flip-measurement.bin', 'vcek.der'],
    ['VCEK DER byte 40 ^ 0xff', 'report.bin', 'vcek-flip40.der'],
  ] as const) {
    const bad = await run(reportFile, vcekFile);
    t.equal(bad.code, 3, `${name} → verification failed (${bad.stderr.trim()})`);
    t.match(bad.stderr, /^error: verification failed \(SNP_/m);
  }
});

t.test('TDX: production v4 quote with collateral at the upstream test time', async (t) => {
  const args = ['attestation', 'verify', '--tdx-quote', `${VECTORS}${TDX}tdx_prod_quote_SPR_E4.dat`, '--any-nonce'];
  const run = await runCliProcess([...args, '--collateral-dir', `${VECTORS}${TDX}`, '--time', '2023-07-01T01:00:00Z']);
  t.equal(run.code, 3, 'upstream expects TCB level matching to fail');
  t.match(run.stderr, /no matching TCB level found/);

  const expired = await runCliProcess([...args, '--time', '2053-07-01T00:00:00Z']);
  t.equal(expired.code, 3, 'PCK certificate expired in 2053');
  t.match(expired.stderr, /TDX_/);

  const p = files(t, {
    'policy.json': noCollateralPolicy,
    'flip-body.dat': flipped(vector(`${TDX}tdx_prod_quote_SPR_E4.dat`), 0x100),
  });
  const noCollateral = await runCliProcess([...args, '--time', '2023-07-01T01:00:00Z', '--policy', p('policy.json')]);
  t.equal(noCollateral.code, 0, noCollateral.stderr);
  t.match(noCollateral.stdout, /^TCB status: not evaluated \(no collateral\)$/m);
  const tampered = await runCliProcess([
    'attestation',
    'verify',
    '--tdx-quote',
    p('flip-body.dat'),
    '--any-nonce',
    '--time',
    '2023-07-01T01:00:00Z',
    '--policy',
    p('policy.json'),
  ]);
  t.equal(tampered.code, 3, `flipped body byte: ${tampered.stderr.trim()}`);
  t.match(tampered.stderr, /TDX_QUOTE_SIGNATURE_INVALID/);
});

t.test('TDX: v5 quote without collateral', async (t) => {
  const args = ['attestation', 'verify', '--tdx-quote', `${VECTORS}${TDX}quote_v5_sample.dat`, '--any-nonce'];
  const p = files(t, { 'policy.json': noCollateralPolicy });
  const ok = await runCliProcess([...args, '--time', '2026-02-03T01:00:00Z', '--policy', p('policy.json')]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^quote version: 5$/m);
  const strict = await runCliProcess([...args, '--time', '2026-02-03T01:00:00Z']);
  t.equal(strict.code, 4, 'the default policy wants collateral');
  t.match(strict.stderr, /set policy\.tdx\.allowMissingCollateral=true to accept/);
});

t.test('TDX: COS-113 quote with its CC event log', async (t) => {
  const ccel = vector(`${TDX}ccel/ccel_data.dat`);
  const p = files(t, { 'policy.json': noCollateralPolicy, 'ccel-flipped.dat': flipped(ccel, 0x200) });
  const args = [
    'attestation',
    'verify',
    '--tdx-quote',
    `${VECTORS}${TDX}ccel/cos-113-tdx-quote.dat`,
    '--ccel-table',
    `${VECTORS}${TDX}ccel/ccel_table.dat`,
    '--nonce',
    vector(`${TDX}ccel/nonce.dat`).toString('hex'),
    '--time',
    '2025-01-01T00:00:00Z',
    '--policy',
    p('policy.json'),
  ];
  const ok = await runCliProcess([...args, '--cc-event-log', `${VECTORS}${TDX}ccel/ccel_data.dat`]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^CC event log: 44 events, replay reproduces RTMR0-3$/m);
  t.match(ok.stdout, /^RTMR0: 3fa2f61f\w+17f6$/m);
  const bad = await runCliProcess([...args, '--cc-event-log', p('ccel-flipped.dat')]);
  t.equal(bad.code, 3, `flipped CC event log byte: ${bad.stderr.trim()}`);
});

t.test('TPM: go-attestation Windows GCP Shielded VM quote (SHA-1)', async (t) => {
  interface Dump {
    AK: { Public: string };
    Quote: { Quote: string; Signature: string };
    Log: { PCRs: { Index: number; Digest: string }[]; Raw: string };
  }
  const dump = JSON.parse(vector('tpm/go-attestation/windows_gcp_shielded_vm.json').toString()) as Dump;
  const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
  const attest = b64(dump.Quote.Quote);
  const sha1 = Object.fromEntries(dump.Log.PCRs.map((p) => [String(p.Index), b64(p.Digest).toString('hex')]));
  const pcr0 = sha1['0'] ?? '';
  const p = files(t, {
    'ak.bin': b64(dump.AK.Public),
    'attest.bin': attest,
    'attest-flipped.bin': flipped(attest, attest.length - 1),
    'sig.bin': b64(dump.Quote.Signature),
    'pcrs.json': JSON.stringify({ sha1 }),
    'log.bin': b64(dump.Log.Raw),
    'policy.json': JSON.stringify({
      tpm: { allowSha1Banks: true, eventLogRules: { allowEfiAppBeforeCallingEvent: true } },
    }),
    'pcr-policy.json': JSON.stringify({
      tpm: {
        allowSha1Banks: true,
        eventLogRules: { allowEfiAppBeforeCallingEvent: true },
        pcrs: { sha1: { '0': { expected: ['00'.repeat(20)] } } },
      },
    }),
  });
  const args = (attestFile: string, policy?: string): string[] => [
    'attestation',
    'verify',
    '--tpm-attest',
    p(attestFile),
    '--tpm-signature',
    p('sig.bin'),
    '--ak-public',
    p('ak.bin'),
    '--pcrs',
    p('pcrs.json'),
    '--event-log',
    p('log.bin'),
    '--nonce',
    '',
    ...(policy === undefined ? [] : ['--policy', p(policy)]),
  ];
  const ok = await runCliProcess(args('attest.bin', 'policy.json'));
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^AK name: 000b4ce9b151f75089d74c15dabe9d520cffafbcafd5d43be0aad2e2d88d54717e2e$/m);
  t.match(ok.stdout, /^Secure Boot: on$/m);
  t.match(ok.stdout, new RegExp(`^PCR\\[0\\] \\(sha1\\): ${pcr0}$`, 'm'));

  const sha1Refused = await runCliProcess(args('attest.bin'));
  t.equal(sha1Refused.code, 3, 'SHA-1 refused by default');
  t.match(sha1Refused.stderr, /set policy\.tpm\.allowSha1Banks=true to accept/);

  const tampered = await runCliProcess(args('attest-flipped.bin', 'policy.json'));
  t.equal(tampered.code, 3, `flipped TPMS_ATTEST byte: ${tampered.stderr.trim()}`);

  const violation = await runCliProcess(args('attest.bin', 'pcr-policy.json'));
  t.equal(violation.code, 4, 'PCR 0 differs from the policy');
  t.match(violation.stdout, new RegExp(`PCR\\[0\\] \\(sha1\\) expected 0000.*got ${pcr0.slice(0, 8)}`));
});

t.test('GCP: go-tpm-tools COS-85 attestations', async (t) => {
  const withNonce = vector(`${GCP}gce-cos-85-nonce9009.pb`);
  const expected = JSON.parse(vector(`${GCP}decoded_expected.json`).toString()) as Record<
    string,
    { quotes: { tpms_attest_hex: string }[] }
  >;
  const attestHex = expected['gce-cos-85-nonce9009.pb']?.quotes[1]?.tpms_attest_hex ?? 'missing';
  const at = withNonce.indexOf(Buffer.from(attestHex, 'hex'));
  t.ok(at > 0, 'found the SHA-256 quote inside the protobuf');
  const p = files(t, { 'tampered.pb': flipped(withNonce, at + 40) });
  const run = (file: string, nonce: string): ReturnType<typeof runCliProcess> =>
    runCliProcess(['attestation', 'verify', '--gcp-attestation', file, '--nonce', nonce, '--time', '2025-01-01']);

  const ok = await run(`${VECTORS}${GCP}gce-cos-85-nonce9009.pb`, '9009');
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^AK anchored by: ak-certificate$/m);
  t.match(ok.stdout, /^PCR\[0\] \(sha256\): 0f35c214/m);
  const noNonce = await run(`${VECTORS}${GCP}gce-cos-85-no-nonce.pb`, '');
  t.equal(noNonce.code, 0, noNonce.stderr);
  const wrongNonce = await run(`${VECTORS}${GCP}gce-cos-85-nonce9009.pb`, '9008');
  t.equal(wrongNonce.code, 3, 'wrong nonce');
  const tampered = await run(p('tampered.pb'), '9009');
  t.equal(tampered.code, 3, `flipped byte in a signed quote: ${tampered.stderr.trim()}`);
});

t.test('Azure: vTPM quote container with its AK', async (t) => {
  const quote = vector(`${AZ}quote.bin`);
  const sigLength = Number(quote.readBigUInt64LE(0));
  const attestAt = 8 + sigLength + 8;
  const reversed = Buffer.from(quote);
  reversed.subarray(8, 8 + sigLength).reverse();
  const p = files(t, { 'attest-flipped.bin': flipped(quote, attestAt + 50), 'sig-reversed.bin': reversed });
  const challenge = Buffer.from('challenge').toString('hex');
  const run = (file: string, nonce: string): ReturnType<typeof runCliProcess> =>
    runCliProcess([
      'attestation',
      'verify',
      '--azure-quote',
      file,
      '--ak-public',
      `${VECTORS}${AZ}akpub.pem`,
      '--nonce',
      nonce,
    ]);
  const ok = await run(`${VECTORS}${AZ}quote.bin`, challenge);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^nonce: 6368616c6c656e6765$/m);
  t.match(ok.stdout, /^PCR\[0\] \(sha256\): f3a7e99a5f819a034386bce753a48a73cfdaa0bea0ecfc124bedbf5a8c4799be$/m);
  t.equal((await run(`${VECTORS}${AZ}quote.bin`, '01020304')).code, 3, 'nonce [1,2,3,4] → mismatch');
  t.equal((await run(p('sig-reversed.bin'), challenge)).code, 3, 'reversed signature');
  t.equal((await run(p('attest-flipped.bin'), challenge)).code, 3, 'flipped TPMS_ATTEST byte');
});

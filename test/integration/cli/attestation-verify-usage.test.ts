// `constellation attestation verify`: document input, bad flags and input (exit 2 saying what was
// expected), JSON output, help.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import {
  documentFromGcpAttestation,
  documentToJsonText,
  encodeDocument,
  parseAzureVtpmQuote,
  type AttestationDocument,
} from '../../../lib/attestation/document/index.js';
import { publicFromKey } from '../../../lib/tpm/public-marshal.js';
import { flipped, runCliProcess, vector, VECTORS } from './cli-process.js';

const GCP = 'gcp/go-tpm-tools/attestations/';
const AZ = 'azure/azure-cvm-tooling/';

function gcpDocument(): AttestationDocument {
  return documentFromGcpAttestation(vector(`${GCP}gce-cos-85-nonce9009.pb`));
}

function dir(t: Test, content: Record<string, Buffer | string>): string {
  const path = t.testdir({});
  for (const [name, data] of Object.entries(content)) writeFileSync(`${path}/${name}`, data);
  return path;
}

t.test('--document: the same evidence as protobuf and as JSON', async (t) => {
  const doc = gcpDocument();
  const tampered = encodeDocument(doc);
  const attest = doc.tpm?.quotes[1]?.attest ?? Buffer.alloc(0);
  const at = tampered.indexOf(attest);
  const d = dir(t, {
    'doc.pb': encodeDocument(doc),
    'doc.json': documentToJsonText(doc),
    'tampered.pb': flipped(tampered, at + 30),
    'bad-variant.json': documentToJsonText(doc).replace('"gcp-vtpm"', '"sev-es"'),
    'garbage.pb': Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]),
  });
  for (const name of ['doc.pb', 'doc.json']) {
    const run = await runCliProcess(['attestation', 'verify', '--document', `${d}/${name}`, '--nonce', '9009']);
    t.equal(run.code, 0, `${name}: ${run.stderr}`);
    t.match(run.stdout, /^variant: gcp-vtpm$/m);
    t.match(
      run.stdout,
      new RegExp(`^evidence: attestation document \\(${name.endsWith('json') ? 'json' : 'protobuf'}\\)$`, 'm'),
    );
  }
  const bad = await runCliProcess(['attestation', 'verify', '--document', `${d}/tampered.pb`, '--nonce', '9009']);
  t.equal(bad.code, 3, `flipped quote byte in a document: ${bad.stderr.trim()}`);
  const variant = await runCliProcess([
    'attestation',
    'verify',
    '--document',
    `${d}/bad-variant.json`,
    '--nonce',
    '9009',
  ]);
  t.equal(variant.code, 2);
  t.match(variant.stderr, /DOCUMENT_INVALID.*Expected one of qemu-vtpm, .* for variant but received "sev-es"/);
  const garbage = await runCliProcess(['attestation', 'verify', '--document', `${d}/garbage.pb`, '--nonce', '']);
  t.equal(garbage.code, 2);
  t.match(garbage.stderr, /DOCUMENT_INVALID/);
});

t.test('--document: a TDX document, with collateral from --collateral-dir', async (t) => {
  const doc: AttestationDocument = {
    version: 1,
    variant: 'tdx',
    tee: { kind: 'tdx', quote: vector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat') },
  };
  const d = dir(t, { 'doc.json': documentToJsonText(doc) });
  const args = [
    'attestation',
    'verify',
    '--document',
    `${d}/doc.json`,
    '--any-nonce',
    '--time',
    '2023-07-01T01:00:00Z',
  ];
  const withCollateral = await runCliProcess([...args, '--collateral-dir', `${VECTORS}tdx/go-tdx-guest`]);
  t.equal(withCollateral.code, 3, 'the upstream TCB-level failure, as with --tdx-quote');
  t.match(withCollateral.stderr, /no matching TCB level found/);
  const without = await runCliProcess(args);
  t.equal(without.code, 4, 'no collateral: the default policy rejects it');
  const gcp = dir(t, { 'gcp.pb': encodeDocument(gcpDocument()) });
  const notTdx = await runCliProcess([
    'attestation',
    'verify',
    '--document',
    `${gcp}/gcp.pb`,
    '--nonce',
    '9009',
    '--collateral-dir',
    `${VECTORS}tdx/go-tdx-guest`,
  ]);
  t.equal(notTdx.code, 2);
  t.match(notTdx.stderr, /--collateral-dir applies only to documents with TDX evidence/);
});

t.test('--document: a TPM document needs an AK anchor', async (t) => {
  const ak = publicFromKey(createPublicKey(vector(`${AZ}akpub.pem`).toString()));
  const { quote } = parseAzureVtpmQuote(vector(`${AZ}quote.bin`));
  const doc: AttestationDocument = {
    version: 1,
    variant: 'qemu-vtpm',
    tpm: { akPublic: ak.raw, quotes: [quote], akCertificateChain: [] },
  };
  const d = dir(t, { 'doc.pb': encodeDocument(doc) });
  const args = [
    'attestation',
    'verify',
    '--document',
    `${d}/doc.pb`,
    '--nonce',
    Buffer.from('challenge').toString('hex'),
  ];
  const unanchored = await runCliProcess(args);
  t.equal(unanchored.code, 2);
  t.match(unanchored.stderr, /TRUST_MISSING.*--ak-ca <pem> or --ak-name <hex>/);
  const { objectName } = await import('../../../lib/tpm/object-name.js');
  const pinned = await runCliProcess([...args, '--ak-name', objectName(ak).toString('hex')]);
  t.equal(pinned.code, 0, pinned.stderr);
  t.match(pinned.stdout, /^AK anchored by: pinned-ak-names$/m);
  const otherName = await runCliProcess([...args, '--ak-name', `000b${'00'.repeat(32)}`]);
  t.equal(otherName.code, 3, 'a pinned name that is not this AK');
  t.match(otherName.stderr, /TPM_AK_UNTRUSTED/);
});

t.test('Azure HCL SNP report: its published VCEK belongs to another chip, so it must not verify', async (t) => {
  const pem = vector(`${AZ}certs.pem`).toString();
  const [vcek, ...chain] = pem.split(/(?=-----BEGIN CERTIFICATE-----)/);
  const ak = publicFromKey(createPublicKey(vector(`${AZ}akpub.pem`).toString()));
  const { quote } = parseAzureVtpmQuote(vector(`${AZ}quote.bin`));
  const doc: AttestationDocument = {
    version: 1,
    variant: 'azure-sev-snp',
    tpm: { akPublic: ak.raw, quotes: [quote], akCertificateChain: [] },
    tee: {
      kind: 'snp',
      hclReport: vector(`${AZ}hcl-report-snp.bin`),
      signerCertificate: Buffer.from(vcek ?? ''),
      certificateChain: Buffer.from(chain.join('')),
    },
  };
  const d = dir(t, { 'doc.pb': encodeDocument(doc) });
  const run = await runCliProcess(['attestation', 'verify', '--document', `${d}/doc.pb`, '--any-nonce']);
  t.equal(run.code, 3, run.stderr.trim());
});

t.test('--output json', async (t) => {
  const args = [
    'attestation',
    'verify',
    '--gcp-attestation',
    `${VECTORS}${GCP}gce-cos-85-nonce9009.pb`,
    '--output',
    'json',
  ];
  const ok = await runCliProcess([...args, '--nonce', '9009']);
  t.equal(ok.code, 0, ok.stderr);
  const json = JSON.parse(ok.stdout) as Record<string, unknown>;
  t.equal(json['status'], 'verified');
  t.equal(json['exitCode'], 0);
  t.equal(json['variant'], 'gcp-vtpm');
  t.match(json['facts'], { 'AK anchored by': 'ak-certificate', 'PCR[0] (sha256)': /^0f35c214/ });
  t.same(json['violations'], []);

  const failed = await runCliProcess([...args, '--nonce', '01']);
  t.equal(failed.code, 3);
  const failedJson = JSON.parse(failed.stdout) as Record<string, unknown>;
  t.equal(failedJson['status'], 'verification-failed');
  t.match(failedJson['error'], { class: 'VerificationError', code: /\w+/ });
  t.match(failed.stderr, /^error: verification failed/m);
});

const badFlags: { name: string; args: string[]; message: RegExp }[] = [
  {
    name: 'no evidence',
    args: ['--nonce', ''],
    message: /Expected one evidence input \(--document, --snp-report, .*\) but received none/,
  },
  {
    name: 'two evidence forms',
    args: ['--document', 'a', '--tdx-quote', 'b', '--nonce', ''],
    message: /Expected exactly one evidence input but received --document and --tdx-quote/,
  },
  {
    name: 'SNP report without signer',
    args: ['--snp-report', 'r', '--nonce', ''],
    message: /--snp-report needs --signer-cert <file>/,
  },
  {
    name: 'flag of another form',
    args: ['--snp-report', 'r', '--signer-cert', 'c', '--pcrs', 'p', '--nonce', ''],
    message: /--pcrs does not apply to --snp-report/,
  },
  {
    name: 'no nonce decision',
    args: ['--document', 'a'],
    message: /Expected --nonce <hex> .* or --any-nonce .* but received neither/,
  },
  {
    name: 'nonce not hex',
    args: ['--document', 'a', '--nonce', 'xyz'],
    message: /Expected up to 64 bytes of even-length hex for --nonce but received "xyz"/,
  },
  {
    name: 'both nonce flags',
    args: ['--document', 'a', '--nonce', '', '--any-nonce'],
    message: /either --nonce or --any-nonce but received both/,
  },
  {
    name: 'bad time',
    args: ['--document', 'a', '--nonce', '', '--time', 'yesterday'],
    message: /Expected an ISO-8601 date .* for --time but received "yesterday"/,
  },
  {
    name: 'bad output',
    args: ['--document', 'a', '--nonce', '', '--output', 'yaml'],
    message: /argument 'yaml' is invalid. Allowed choices are text, json/,
  },
  {
    name: 'unknown flag',
    args: ['--documnet', 'a'],
    message: /unknown option '--documnet'[\s\S]*Did you mean --document\?/,
  },
  {
    name: 'missing file',
    args: ['--document', '/nonexistent/doc.pb', '--nonce', ''],
    message: /Expected a readable file for --document but could not read "\/nonexistent\/doc.pb" \(ENOENT\)/,
  },
  {
    name: 'collateral dir without collateral',
    args: ['--tdx-quote', `${VECTORS}tdx/go-tdx-guest/quote_v5_sample.dat`, '--collateral-dir', VECTORS, '--any-nonce'],
    message: /Expected Intel collateral in --collateral-dir .* but it lacks tcbInfo/,
  },
];

t.test('bad flags exit 2 and say what was expected', async (t) => {
  for (const tc of badFlags) {
    const run = await runCliProcess(['attestation', 'verify', ...tc.args]);
    t.equal(run.code, 2, `${tc.name}: exit 2`);
    t.match(run.stderr, tc.message, tc.name);
    t.equal(run.stdout, '', `${tc.name}: nothing on stdout`);
  }
});

t.test('an invalid policy file exits 2 naming the field path', async (t) => {
  const d = dir(t, {
    'policy.json': JSON.stringify({ tpm: { allowSha1Banks: 'yes', bogus: 1 }, snp: { allowDebug: 1 } }),
  });
  const run = await runCliProcess([
    'attestation',
    'verify',
    '--gcp-attestation',
    `${VECTORS}${GCP}gce-cos-85-nonce9009.pb`,
    '--nonce',
    '9009',
    '--policy',
    `${d}/policy.json`,
  ]);
  t.equal(run.code, 2);
  t.match(run.stderr, /POLICY_INVALID/);
  t.match(run.stderr, /\.tpm\.allowSha1Banks/);
  t.match(run.stderr, /\.tpm\.bogus/);
  t.match(run.stderr, /\.snp\.allowDebug/);
});

t.test('help exits 0 and documents the exit codes', async (t) => {
  const top = await runCliProcess(['--help']);
  t.equal(top.code, 0);
  t.match(
    top.stdout,
    /Exit codes:\n\s+0 +success[\s\S]+2 +usage error[\s\S]+3 +verification failed[\s\S]+4 +policy rejected/,
  );
  const verify = await runCliProcess(['attestation', 'verify', '--help']);
  t.equal(verify.code, 0);
  t.match(verify.stdout, /--snp-report <file>/);
  t.match(verify.stdout, /sample_tcbInfo_response/);
  const group = await runCliProcess(['attestation']);
  t.equal(group.code, 2, 'a command group without a subcommand is a usage error');
  t.match(group.stderr, /verify \[options\]/);
});

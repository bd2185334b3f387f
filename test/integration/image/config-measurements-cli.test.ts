// `constellation config measurements apply` and `config generate --measurements` through the real CLI process:
// the signature is verified before the file is used and before the config is touched; the policy gets exactly the
// file's PCR rules and keeps every other key; refusals exit with the documented codes and change nothing.
import t, { type Test } from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildMeasurements, encodeMeasurements, signMeasurements } from '../../../lib/image/index.js';
import { runCliProcess, vector } from '../cli/cli-process.js';

const release = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const measurements = buildMeasurements({
  uki: vector('image/uki.efi'),
  imageName: 'constellation-node',
  version: '0.1.0-test',
  goldenPcrs: { 0: Buffer.alloc(32, 0xa0) },
});
const signed = signMeasurements(measurements, release.privateKey);
const pcr4 = measurements.pcrs['4']?.expected ?? '';

interface Files {
  dir: string;
  good: string;
  pub: string;
}

function files(t: Test): Files {
  const dir = t.testdir({});
  const tampered = JSON.parse(encodeMeasurements(signed)) as { pcrs: Record<string, { expected: string }> };
  const rule = tampered.pcrs['11'];
  if (rule !== undefined) rule.expected = '00'.repeat(32);
  const { signature: _dropped, ...unsigned } = signed;
  const write: Record<string, string> = {
    'measurements.json': encodeMeasurements(signed),
    'tampered.json': JSON.stringify(tampered),
    'unsigned.json': JSON.stringify(unsigned),
    'stranger.json': encodeMeasurements(signMeasurements(measurements, stranger.privateKey)),
    'garbage.json': '{"version": "v1", ',
    'release.pub.pem': release.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    'release.key.pem': release.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  for (const [name, text] of Object.entries(write)) writeFileSync(`${dir}/${name}`, text);
  for (const workspace of ['ws', 'forged', 'empty']) mkdirSync(`${dir}/${workspace}`);
  return { dir, good: `${dir}/measurements.json`, pub: `${dir}/release.pub.pem` };
}

function policyOf(workspace: string): { tpm: Record<string, unknown>; akTrust: unknown } {
  const config = parse(readFileSync(`${workspace}/constellation-conf.yaml`, 'utf8')) as {
    attestation: { policy: { tpm: Record<string, unknown>; akTrust: unknown } };
  };
  return config.attestation.policy;
}

t.test('apply: verified rules replace the PCR pins, other policy keys stay, output names each PCR', async (t) => {
  const f = files(t);
  const ws = `${f.dir}/ws`;
  t.equal((await runCliProcess(['config', 'generate', '--workspace', ws])).code, 0);
  // An existing config with its own choices and a stale pin in PCR 15 and in the sha384 bank.
  const path = `${ws}/constellation-conf.yaml`;
  const yaml = readFileSync(path, 'utf8')
    .replace('requireSecureBoot: false', 'requireSecureBoot: true')
    .replace(
      /sha256: \{\}/,
      `sha256: { "15": { expected: ["${'00'.repeat(32)}"] }, "4": { expected: ["${'11'.repeat(32)}"], mode: warn } }\n        sha384: { "0": { expected: ["${'22'.repeat(48)}"] } }`,
    );
  writeFileSync(path, yaml);
  const run = await runCliProcess([
    'config',
    'measurements',
    'apply',
    f.good,
    '--release-key',
    f.pub,
    '--workspace',
    ws,
  ]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, /Verified measurements of constellation-node 0\.1\.0-test .* signed by release key/);
  t.match(run.stdout, /^PCR\[0\] \(sha384\) unpinned \(was 22222222…, enforce\)$/m);
  t.match(run.stdout, /^PCR\[0\] +warn +golden-boot +a0a0a0a0… +pinned \(was unpinned\)$/m);
  t.match(run.stdout, /^PCR\[4\] +enforce +precomputed +[0-9a-f]{8}… +changed \(was 11111111…, warn\)$/m);
  t.match(run.stdout, /^PCR\[11\] +enforce +precomputed +[0-9a-f]{8}… +pinned \(was unpinned\)$/m);
  t.match(run.stdout, /^PCR\[15\] +unpinned \(was 00000000…, enforce\): set by the CLI at init and verify$/m);
  const policy = policyOf(ws);
  t.same(policy.tpm['pcrs'], {
    sha256: {
      '0': { expected: ['a0'.repeat(32)], mode: 'warn' },
      '4': { expected: [pcr4], mode: 'enforce' },
      '11': { expected: [measurements.pcrs['11']?.expected], mode: 'enforce' },
    },
  });
  t.match(run.stdout, /^tpm\.unloggedPcrs \[10, 15, 16, 23\] {2}changed \(was the default\)$/m);
  t.match(run.stdout, /^tpm\.partiallyLoggedPcrs \[11\] {2}changed \(was the default\)$/m);
  t.same(policy.tpm['unloggedPcrs'], [10, 15, 16, 23], "the image's unlogged PCRs (10: IMA)");
  t.same(policy.tpm['partiallyLoggedPcrs'], [11], "the image's partially logged PCR (11: systemd-pcrphase)");
  t.equal(policy.tpm['requireSecureBoot'], true, 'other tpm keys untouched');
  t.same(policy.akTrust, ['credential-activation'], 'other policy keys untouched');

  const again = await runCliProcess([
    'config',
    'measurements',
    'apply',
    f.good,
    '--release-key',
    f.pub,
    '--workspace',
    ws,
  ]);
  t.equal(again.code, 0);
  t.match(again.stdout, /^PCR\[4\] +enforce +precomputed +[0-9a-f]{8}… +unchanged$/m);
  t.match(again.stdout, /^tpm\.partiallyLoggedPcrs \[11\] {2}unchanged$/m);
  t.match(again.stderr, /nothing written/);
});

t.test('apply: refusals exit with their code and leave the config as it was', async (t) => {
  const f = files(t);
  const ws = `${f.dir}/ws`;
  t.equal((await runCliProcess(['config', 'generate', '--workspace', ws])).code, 0);
  const before = readFileSync(`${ws}/constellation-conf.yaml`);
  const cases: [string, string[], number, RegExp][] = [
    ['changed after signing', [`${f.dir}/tampered.json`, '--release-key', f.pub], 3, /MEASUREMENTS_SIGNATURE_INVALID/],
    ['unsigned', [`${f.dir}/unsigned.json`, '--release-key', f.pub], 3, /MEASUREMENTS_UNSIGNED/],
    ['signed by another key', [`${f.dir}/stranger.json`, '--release-key', f.pub], 3, /MEASUREMENTS_UNTRUSTED_KEY/],
    ['not JSON', [`${f.dir}/garbage.json`, '--release-key', f.pub], 2, /MEASUREMENTS_INVALID/],
    ['private key as release key', [f.good, '--release-key', `${f.dir}/release.key.pem`], 2, /RELEASE_KEY_INVALID/],
    ['release key missing', [f.good, '--release-key', `${f.dir}/nope.pem`], 2, /FILE_UNREADABLE.*--release-key/],
    ['file missing', [`${f.dir}/nope.json`, '--release-key', f.pub], 2, /FILE_UNREADABLE/],
    ['no --release-key', [f.good], 2, /required option '--release-key <pub\.pem>' not specified/],
  ];
  for (const [name, args, code, message] of cases) {
    const run = await runCliProcess(['config', 'measurements', 'apply', ...args, '--workspace', ws]);
    t.equal(run.code, code, `${name}: ${run.stderr.trim()}`);
    t.match(run.stderr, message, name);
    t.equal(run.stdout, '', `${name}: nothing on stdout`);
  }
  t.same(readFileSync(`${ws}/constellation-conf.yaml`), before, 'config unchanged');
  // The signature comes first: a forged file is refused even where there is no config at all.
  const noConfig = await runCliProcess([
    'config',
    'measurements',
    'apply',
    `${f.dir}/tampered.json`,
    '--release-key',
    f.pub,
    '--workspace',
    `${f.dir}/empty`,
  ]);
  t.equal(noConfig.code, 3);
  const missing = await runCliProcess([
    'config',
    'measurements',
    'apply',
    f.good,
    '--release-key',
    f.pub,
    '--workspace',
    f.dir,
  ]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /WORKSPACE_FILE_MISSING/);
});

t.test('generate --measurements --release-key: a config with exactly the verified pins', async (t) => {
  const f = files(t);
  const ws = `${f.dir}/ws`;
  const run = await runCliProcess([
    'config',
    'generate',
    '--workspace',
    ws,
    '--measurements',
    f.good,
    '--release-key',
    f.pub,
  ]);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout.trim(), `${ws}/constellation-conf.yaml`);
  t.match(run.stderr, /^PCR\[4\] +enforce +precomputed/m);
  t.match(run.stderr, /^PCR\[0\] +warn +golden-boot/m);
  t.same(Object.keys((policyOf(ws).tpm['pcrs'] as { sha256: object }).sha256), ['0', '4', '11']);

  const forged = `${f.dir}/forged`;
  const refused = await runCliProcess([
    ...['config', 'generate', '--workspace', forged],
    ...['--measurements', `${f.dir}/tampered.json`, '--release-key', f.pub],
  ]);
  t.equal(refused.code, 3);
  t.match(refused.stderr, /MEASUREMENTS_SIGNATURE_INVALID/);
  t.notOk(existsSync(`${forged}/constellation-conf.yaml`), 'no config written');
  const half = await runCliProcess(['config', 'generate', '--workspace', forged, '--measurements', f.good]);
  t.equal(half.code, 2);
  t.match(half.stderr, /Expected --measurements <file> and --release-key <pub\.pem> together/);
  t.notOk(existsSync(`${forged}/constellation-conf.yaml`), 'no config written');
});

t.test('--help says how', async (t) => {
  const apply = await runCliProcess(['config', 'measurements', 'apply', '--help']);
  t.equal(apply.code, 0);
  t.match(apply.stdout, /Usage: constellation config measurements apply \[options\] <file>/);
  t.match(apply.stdout, /--release-key <pub\.pem>/);
  t.match(apply.stdout, /The signature is checked first/);
  const generate = await runCliProcess(['config', 'generate', '--help']);
  t.match(generate.stdout, /--measurements <file>/);
});

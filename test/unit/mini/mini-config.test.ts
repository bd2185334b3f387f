// The VM cluster's policy is the image's measurements, and only after their signature verified with the release
// key: unsigned, wrongly signed, edited or missing files are refused before any VM starts.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConstellationError, VerificationError } from '../../../lib/errors.js';
import { encodeMeasurements, signMeasurements, type Measurements } from '../../../lib/image/index.js';
import { miniLayout } from '../../../lib/mini/mini-layout.js';
import type { MiniCluster } from '../../../lib/mini/mini-cluster.js';
import { imageMeasurements } from '../../../cli/commands/mini-measurements.js';
import { miniConfig } from '../../../cli/commands/mini-up.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';

const measurements: Measurements = {
  version: 'v1',
  image: { name: 'constellation-node', version: '0.1.0', ukiSha256: 'a'.repeat(64) },
  pcrs: {
    '4': { expected: '4'.repeat(64), mode: 'enforce', source: 'precomputed' },
    '11': { expected: 'b'.repeat(64), mode: 'enforce', source: 'precomputed' },
    '1': { expected: '1'.repeat(64), mode: 'warn', source: 'golden-boot' },
  },
};

async function imageDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mini-measurements-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function keyPair(): { privateKey: import('node:crypto').KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

t.test('signed by the release key: verified, then the PCR rules', async (t) => {
  const dir = await imageDir(t);
  const release = keyPair();
  await writeFile(
    join(dir, 'measurements.json'),
    encodeMeasurements(signMeasurements(measurements, release.privateKey)),
  );
  await writeFile(join(dir, 'release-key.pub.pem'), release.publicPem);
  const verified = await imageMeasurements(dir);
  t.same(Object.keys(verified.policy.tpm.pcrs.sha256).sort(), ['1', '11', '4']);
  t.same(verified.policy.tpm.pcrs.sha256['4'], { expected: ['4'.repeat(64)], mode: 'enforce' });
  t.same(verified.policy.tpm.pcrs.sha256['1'], { expected: ['1'.repeat(64)], mode: 'warn' });

  const workspace = join(dir, 'ws');
  const cluster = {
    layout: miniLayout(workspace),
    nodes: [
      {
        name: 'control-plane-0',
        role: 'control-plane',
        address: '10.42.0.10',
        mac: 'x',
        ekFingerprint: 'c'.repeat(64),
      },
      { name: 'worker-0', role: 'worker', address: '10.42.0.11', mac: 'y', ekFingerprint: 'd'.repeat(64) },
    ],
    ekRootsFile: join(dir, 'ek-ca', 'swtpm-localca-rootca-cert.pem'),
    ekIntermediatesFile: join(dir, 'ek-ca', 'issuercert.pem'),
  } as unknown as MiniCluster;
  const config = miniConfig(cluster, verified);
  t.equal(config.stateDisk, 'luks', 'the VM cluster encrypts its state disks');
  t.same(config.controlPlaneEks, ['c'.repeat(64)], 'only control-plane EKs may join as control plane');
  t.equal(config.attestation.ekRoots, '../ek-ca/swtpm-localca-rootca-cert.pem');
  const policy = config.attestation.policy as {
    tpm: { pcrs: unknown; allowSha1Banks: boolean; unloggedPcrs: unknown; partiallyLoggedPcrs: unknown };
  };
  t.same(policy.tpm.pcrs, verified.policy.tpm.pcrs);
  t.equal(policy.tpm.allowSha1Banks, false, 'the secure defaults stay');
  // PCR 10 (IMA) has no firmware events; PCR 11 gets systemd-pcrphase extensions after systemd-stub's logged ones.
  t.same(policy.tpm.unloggedPcrs, [10, 15, 16, 23]);
  t.same(policy.tpm.partiallyLoggedPcrs, [11]);
  const parsed = parsePolicy(config.attestation.policy);
  t.same(parsed.tpm.unloggedPcrs, [10, 15, 16, 23]);
  t.same(parsed.tpm.partiallyLoggedPcrs, [11]);
});

t.test('refused before use: unsigned, untrusted key, edited, missing', async (t) => {
  const release = keyPair();
  const other = keyPair();
  const signed = signMeasurements(measurements, release.privateKey);
  const cases: [string, string, string, typeof ConstellationError][] = [
    ['unsigned', JSON.stringify(measurements), 'MEASUREMENTS_UNSIGNED', VerificationError],
    [
      'signed by another key',
      encodeMeasurements(signMeasurements(measurements, other.privateKey)),
      'MEASUREMENTS_UNTRUSTED_KEY',
      VerificationError,
    ],
    [
      'edited after signing',
      encodeMeasurements({
        ...signed,
        pcrs: { ...signed.pcrs, '4': { expected: 'e'.repeat(64), mode: 'enforce', source: 'precomputed' } },
      }),
      'MEASUREMENTS_SIGNATURE_INVALID',
      VerificationError,
    ],
  ];
  for (const [name, text, code, type] of cases) {
    const dir = await imageDir(t);
    await writeFile(join(dir, 'measurements.json'), text);
    await writeFile(join(dir, 'release-key.pub.pem'), release.publicPem);
    await t.rejects(imageMeasurements(dir), { constructor: type, code }, name);
  }
  const empty = await imageDir(t);
  await t.rejects(imageMeasurements(empty), { constructor: ConstellationError, code: 'MINI_MEASUREMENTS_MISSING' });
  await writeFile(join(empty, 'measurements.json'), encodeMeasurements(signed));
  await t.rejects(imageMeasurements(empty, join(empty, 'nope.pem')), {
    code: 'MINI_MEASUREMENTS_MISSING',
    message: /the release key/,
  });
});

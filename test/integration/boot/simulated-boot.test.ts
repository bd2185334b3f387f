// A simulated boot on a real swtpm: the TPM's PCRs equal the prediction and the log's replay; qemu-vtpm evidence
// with that log verifies (credential activation against the certified EK) and passes imagePolicy with PCR 15 = 0;
// a node booted with another kernel command line is a policy violation naming the PCRs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseEventLog } from '../../../lib/attestation/eventlog/event-log-parser.js';
import { replayEventLog } from '../../../lib/attestation/eventlog/replay.js';
import { validateDocumentMessage } from '../../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { evaluatePolicy } from '../../../lib/attestation/policy/evaluate-policy.js';
import { parsePolicy } from '../../../lib/attestation/policy/policy-parser.js';
import { verifyDocument } from '../../../lib/attestation/verify/document-verifier.js';
import {
  BOOT_BANKS,
  DEFAULT_KERNEL_COMMAND_LINE,
  expectedPcrs,
  imagePolicy,
  localImage,
  simulateBoot,
  withClusterMeasurement,
  type BootComponent,
} from '../../../lib/boot/index.js';
import { makeCredential, parsePublic } from '../../../lib/tpm/index.js';
import { Tpm } from '../../../native/tpm.js';
import { swtpmFor, testCa } from '../../helpers/swtpm.js';

const BINDING = Buffer.from('channel key');

async function bootedNode(t: Test, image: readonly BootComponent[]): Promise<{ tpm: Tpm; eventLogPath: string }> {
  const swtpm = await swtpmFor(t, { withEkCert: true });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  const dir = await mkdtemp(join(tmpdir(), 'boot-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const eventLogPath = join(dir, 'binary_bios_measurements');
  await writeFile(eventLogPath, await simulateBoot(tpm, image));
  return { tpm, eventLogPath };
}

/** Evidence plus the verifier's MakeCredential round to the document's EK for its AK. */
async function attestedState(tpm: Tpm, eventLogPath: string) {
  const nonce = randomBytes(32);
  const ak = await tpm.createAk('ecc');
  const { document } = await issueQemuVtpmEvidence({ tpm, nonce, binding: BINDING, ak, eventLogPath });
  const ek = await tpm.createEk('rsa');
  const challenge = randomBytes(32);
  const { credentialBlob, secret } = makeCredential(parsePublic(ek.public), ak.name, challenge);
  const answered = await tpm.activateCredential(ak, ek, credentialBlob, secret);
  if (!answered.equals(challenge)) throw new Error('expected the TPM to recover the challenge');
  const ca = await testCa();
  return verifyDocument(
    validateDocumentMessage(document),
    {
      tpm: {
        ekRoots: [await ca.rootPem()],
        ekIntermediates: [await ca.intermediatePem()],
        ak: { mode: 'credential-activation', activated: { ekPublic: ek.public, akName: ak.name } },
      },
    },
    { nonce, binding: BINDING },
    new Date(),
  );
}

t.test('the TPM PCRs equal the prediction and the replay of the returned log', async (t) => {
  const image = localImage();
  const { tpm, eventLogPath } = await bootedNode(t, image);
  const predicted = expectedPcrs(image);
  const selection = Object.fromEntries(BOOT_BANKS.map((bank) => [bank, [...Array(15).keys()]]));
  const { values } = await tpm.pcrRead(selection);
  const log = parseEventLog(await readFile(eventLogPath));
  for (const bank of BOOT_BANKS) {
    const replayed = replayEventLog(log, bank);
    for (let pcr = 0; pcr < 15; pcr++) {
      const actual = values[bank]?.[pcr];
      const expected = predicted[bank]?.[pcr] ?? replayed[pcr] ?? Buffer.alloc(actual?.length ?? 0);
      t.equal(actual?.toString('hex'), expected.toString('hex'), `${bank} PCR ${pcr} as predicted`);
      if (replayed[pcr] !== undefined)
        t.ok(replayed[pcr]?.equals(actual ?? Buffer.alloc(0)), `${bank} PCR ${pcr} replay`);
    }
  }
});

t.test('evidence from the booted swtpm verifies and passes imagePolicy with PCR 15 = 0', async (t) => {
  const image = localImage();
  const { tpm, eventLogPath } = await bootedNode(t, image);
  const state = await attestedState(tpm, eventLogPath);
  const policy = parsePolicy(withClusterMeasurement(imagePolicy(image), Buffer.alloc(32)));
  const result = evaluatePolicy(state, policy);
  t.same(result.violations, []);
  t.equal(state.tpm?.akTrust, 'credential-activation');
  t.ok((state.tpm?.events.length ?? 0) > 10, 'the events are verified by the replay');
});

t.test('another kernel command line: policy violations name PCR 4, 8 and 11', async (t) => {
  const { tpm, eventLogPath } = await bootedNode(
    t,
    localImage({ kernelCommandLine: `${DEFAULT_KERNEL_COMMAND_LINE} init=/bin/sh` }),
  );
  const state = await attestedState(tpm, eventLogPath);
  const policy = parsePolicy(withClusterMeasurement(imagePolicy(localImage()), Buffer.alloc(32)));
  const { violations } = evaluatePolicy(state, policy);
  t.equal(violations.length, 3);
  t.match(violations, [
    /^PCR\[4\] \(sha256\) expected/,
    /^PCR\[8\] \(sha256\) expected/,
    /^PCR\[11\] \(sha256\) expected/,
  ]);
});

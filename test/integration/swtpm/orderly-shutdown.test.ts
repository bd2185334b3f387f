// A machine that powers its TPM off without TPM2_Shutdown gets locked out of its EK after a few boots
// (dictionary-attack protection); with shutdownTpmOrderly between boots the EK stays usable. Both directions
// run against a real swtpm whose state survives restarts, like a local-cluster node's TPM.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Tpm } from '../../../native/index.js';
import { ConstellationError, TpmError } from '../../../lib/errors.js';
import { shutdownTpmOrderly } from '../../../lib/swtpm/orderly-shutdown.js';
import { startSwtpm } from '../../../lib/swtpm/swtpm-process.js';
import { makeCredential, parsePublic } from '../../../lib/tpm/index.js';

process.env.TSS2_LOG ??= 'all+NONE';

/** More power cycles than swtpm's default maxTries (3). */
const POWER_CYCLES = 5;

/** Boots the TPM in `stateDir`, uses the EK (DA-protected) once, powers off; returns the activation error, if any. */
async function bootOnce(stateDir: string, orderly: boolean): Promise<unknown> {
  const swtpm = await startSwtpm({ stateDir, keepState: true });
  try {
    const tpm = await Tpm.open(swtpm.tcti);
    let failure: unknown;
    try {
      const ek = await tpm.createEk('rsa');
      const ak = await tpm.createAk('ecc');
      const challenge = randomBytes(32);
      const { credentialBlob, secret } = makeCredential(parsePublic(ek.public), ak.name, challenge);
      const answer = await tpm.activateCredential(ak, ek, credentialBlob, secret);
      if (!answer.equals(challenge)) failure = new Error('activation returned a different secret');
      await tpm.flush(ak);
      await tpm.flush(ek);
    } catch (error) {
      failure = error;
    } finally {
      await tpm.close();
    }
    if (orderly) await shutdownTpmOrderly(swtpm.socketPath);
    return failure;
  } finally {
    await swtpm.stop();
  }
}

async function stateDirFor(t: Pick<Test, 'teardown'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swtpm-da-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('with TPM2_Shutdown between boots the EK stays usable', async (t) => {
  const stateDir = await stateDirFor(t);
  for (let boot = 1; boot <= POWER_CYCLES; boot += 1) {
    t.equal(await bootOnce(stateDir, true), undefined, `boot ${boot}: the EK activates a credential`);
  }
});

t.test('without TPM2_Shutdown the TPM locks the EK out (the failure the shutdown prevents)', async (t) => {
  const stateDir = await stateDirFor(t);
  const failures: unknown[] = [];
  for (let boot = 1; boot <= POWER_CYCLES; boot += 1) failures.push(await bootOnce(stateDir, false));
  t.equal(failures[0], undefined, 'the first boot works');
  const last = failures.at(-1);
  t.type(last, TpmError, 'a later boot is refused by the TPM');
  t.match((last as TpmError).message, /lockout/i, 'because of the dictionary-attack lockout');
});

t.test('a shutdown to a socket nobody listens on names the socket and the cause', async (t) => {
  const stateDir = await stateDirFor(t);
  const error = await shutdownTpmOrderly(join(stateDir, 'missing.sock')).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, ConstellationError);
  t.equal((error as ConstellationError).code, 'SWTPM_SHUTDOWN_FAILED');
  t.match((error as Error).message, /missing\.sock.*ENOENT/);
});

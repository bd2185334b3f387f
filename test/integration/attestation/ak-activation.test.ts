// The verifier side (lib/tpm makeCredential, pure TS) against the node side (native ActivateCredential):
// an AK is accepted only when it lives in the TPM of the certified EK.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Tpm, type KeyKind } from '../../../native/index.js';
import { TpmError } from '../../../lib/errors.js';
import { makeCredential, parsePublic } from '../../../lib/tpm/index.js';
import { swtpmFor } from '../../helpers/swtpm.js';

async function openTpm(t: Parameters<typeof swtpmFor>[0]): Promise<Tpm> {
  const swtpm = await swtpmFor(t);
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  return tpm;
}

for (const ekKind of ['rsa', 'ecc'] as const satisfies readonly KeyKind[]) {
  for (const akKind of ['ecc', 'rsa'] as const satisfies readonly KeyKind[]) {
    t.test(`${ekKind.toUpperCase()} EK activates a credential for its own ${akKind.toUpperCase()} AK`, async (t) => {
      const tpm = await openTpm(t);
      const ek = await tpm.createEk(ekKind);
      const ak = await tpm.createAk(akKind);
      const challenge = randomBytes(32);
      const { credentialBlob, secret } = makeCredential(parsePublic(ek.public), ak.name, challenge);
      const answer = await tpm.activateCredential(ak, ek, credentialBlob, secret);
      t.same(answer, challenge, 'the TPM recovered the verifier’s secret');
    });
  }

  t.test(`${ekKind.toUpperCase()} EK refuses a credential made for an AK from another TPM`, async (t) => {
    const certified = await openTpm(t);
    const other = await openTpm(t);
    const ek = await certified.createEk(ekKind);
    const localAk = await certified.createAk('ecc');
    const foreignAk = await other.createAk('ecc');
    t.not(foreignAk.name.toString('hex'), localAk.name.toString('hex'), 'the two TPMs have different AKs');
    // The verifier binds the credential to the foreign AK's name; the certified TPM cannot open it with its own AK.
    const { credentialBlob, secret } = makeCredential(parsePublic(ek.public), foreignAk.name, randomBytes(32));
    const error = await certified.activateCredential(localAk, ek, credentialBlob, secret).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(error, TpmError);
    t.equal((error as TpmError).code, 'TPM_RC');
    t.ok((error as TpmError).rc !== undefined && (error as TpmError).rc !== 0, 'carries the TPM response code');
  });
}

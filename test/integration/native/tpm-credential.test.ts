import t from 'tap';
import { openTpmFor } from './tpm-fixture.js';
import { makeCredential } from './tpm2-tools.js';

t.test('activateCredential releases a tpm2_makecredential secret for this EK and AK', async (t) => {
  const { tpm } = await openTpmFor(t);
  const ek = await tpm.createEk('rsa');
  for (const kind of ['ecc', 'rsa'] as const) {
    const ak = await tpm.createAk(kind);
    const secret = Buffer.from(`credential for the ${kind} AK!`);
    const { credentialBlob, secret: encrypted } = await makeCredential(t, ek, ak.name, secret);
    const released = await tpm.activateCredential(ak, ek, credentialBlob, encrypted);
    t.equal(released.toString(), secret.toString(), kind);
    await tpm.flush(ak);
  }
});

t.test('activateCredential fails for a credential made for an AK of another TPM', async (t) => {
  const { tpm: other } = await openTpmFor(t);
  const foreignAk = await other.createAk('ecc');
  const { tpm } = await openTpmFor(t);
  const ek = await tpm.createEk('rsa');
  const ak = await tpm.createAk('ecc');
  t.not(ak.name.toString('hex'), foreignAk.name.toString('hex'), 'the AKs differ');
  const { credentialBlob, secret } = await makeCredential(t, ek, foreignAk.name, Buffer.from('not for you'));
  const error: unknown = await tpm.activateCredential(ak, ek, credentialBlob, secret).catch((e: unknown) => e);
  t.match(error, { name: 'TpmError', code: 'TPM_RC', rcText: String });
  t.type((error as { rc: unknown }).rc, 'number');
  t.ok(((error as { rc: number }).rc & 0xfff) !== 0, 'a TPM response code');
  t.match((error as Error).message, /Esys_ActivateCredential failed: .*integrity/);

  // The same blob tampered: also refused, and the EK policy session is not leaked (the next call works).
  const tampered = Buffer.from(credentialBlob);
  tampered[tampered.length - 1]! ^= 1;
  await t.rejects(tpm.activateCredential(ak, ek, tampered, secret), { name: 'TpmError', code: 'TPM_RC' });
  const good = await makeCredential(t, ek, ak.name, Buffer.from('yours'));
  t.equal((await tpm.activateCredential(ak, ek, good.credentialBlob, good.secret)).toString(), 'yours');
});

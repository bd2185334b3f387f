import t from 'tap';
import { createHash } from 'node:crypto';
import { openTpmFor } from './tpm-fixture.js';
import { NV_ATTRIBUTES } from '../../../native/tpm.js';

t.test('seal/unseal under a PCR policy; unseal fails with 0x99d after an extend', async (t) => {
  const { tpm } = await openTpmFor(t);
  const secret = Buffer.from('disk encryption key material, 128 bytes max');
  const selection = { sha256: [7, 16], sha1: [16] };
  const sealed = await tpm.seal(secret, selection);
  t.equal((await tpm.unseal(sealed, selection)).toString(), secret.toString(), 'unsealed with unchanged PCRs');
  t.equal((await tpm.unseal(sealed, selection)).toString(), secret.toString(), 'unseal is repeatable');
  t.notOk(sealed.private.includes(secret), 'the private blob does not contain the plaintext');

  await tpm.pcrExtend(16, { sha256: createHash('sha256').update('boot changed').digest() });
  await t.rejects(tpm.unseal(sealed, selection), { name: 'TpmError', code: 'TPM_RC', rc: 0x99d });
  // Nothing leaked: transient slots are free for further work.
  const again = await tpm.seal(Buffer.from('x'), { sha256: [16] });
  t.equal((await tpm.unseal(again, { sha256: [16] })).toString(), 'x');
});

t.test('a blob sealed on one TPM does not load on another', async (t) => {
  const { tpm: first } = await openTpmFor(t);
  const sealed = await first.seal(Buffer.from('local only'), { sha256: [0] });
  const { tpm: second } = await openTpmFor(t);
  await t.rejects(second.unseal(sealed, { sha256: [0] }), { name: 'TpmError', code: 'TPM_RC' });
});

t.test('NV define, write, read (with offset and in chunks), undefine', async (t) => {
  const { tpm } = await openTpmFor(t);
  const index = 0x01500020;
  const data = Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251));
  await tpm.nvDefine(index, data.length);
  await tpm.nvWrite(index, data);
  t.same(await tpm.nvRead(index), data, 'whole index, read in several chunks');
  t.same(await tpm.nvRead(index, 10, 600), data.subarray(600, 610), 'size and offset');
  await tpm.nvWrite(index, Buffer.from('patch'), 1000);
  t.equal((await tpm.nvRead(index, 5, 1000)).toString(), 'patch', 'write at an offset');
  await t.rejects(tpm.nvRead(index, 10, 1495), { name: 'TpmError', code: 'NV_RANGE' });
  await t.rejects(tpm.nvDefine(index, 8), { name: 'TpmError', code: 'TPM_RC' }, 'already defined');
  await tpm.nvUndefine(index);
  await t.rejects(tpm.nvRead(index), { name: 'TpmError', code: 'TPM_RC' }, 'gone after undefine');
});

t.test('NV with owner-only attributes is read and written with owner auth', async (t) => {
  const { tpm } = await openTpmFor(t);
  const index = 0x01500021;
  await tpm.nvDefine(index, 4, { attributes: NV_ATTRIBUTES.OWNERWRITE | NV_ATTRIBUTES.OWNERREAD });
  await tpm.nvWrite(index, Buffer.from('abcd'));
  t.equal((await tpm.nvRead(index)).toString(), 'abcd');
  await tpm.nvUndefine(index);
});

t.test('flush frees the transient slot and retires the handle', async (t) => {
  const { tpm } = await openTpmFor(t);
  // swtpm has 3 object slots: without a real flush the 4th createAk fails with 0x902.
  for (let i = 0; i < 6; i++) {
    const ak = await tpm.createAk(i % 2 === 0 ? 'ecc' : 'rsa');
    await tpm.flush(ak);
    await t.rejects(tpm.quote(ak, { sha256: [0] }, Buffer.from('n')), { name: 'InputError', code: 'INVALID_ARGUMENT' });
  }
  const held = [await tpm.createAk('ecc'), await tpm.createAk('ecc'), await tpm.createAk('ecc')];
  await t.rejects(tpm.createAk('ecc'), { name: 'TpmError', code: 'TPM_RC', rc: 0x902 }, 'slots exhausted');
  await tpm.flush(held[1]!.handle); // by number, as the issuer contract allows
  for (const ak of [held[0]!, held[2]!]) await tpm.flush(ak);
  await t.rejects(tpm.flush(held[1]!.handle), { name: 'InputError', code: 'INVALID_ARGUMENT' }, 'retired');
  await t.rejects(tpm.flush(held[0]!), { name: 'InputError', code: 'INVALID_ARGUMENT' }, 'double flush refused');
});

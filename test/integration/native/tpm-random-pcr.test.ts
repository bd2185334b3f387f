import t from 'tap';
import { createHash } from 'node:crypto';
import { openTpmFor } from './tpm-fixture.js';

t.test('getRandom returns the requested length and varies', async (t) => {
  const { tpm } = await openTpmFor(t);
  for (const size of [1, 32, 48, 64, 65, 1000]) {
    t.equal((await tpm.getRandom(size)).length, size, `length ${size}`);
  }
  const a = await tpm.getRandom(64);
  const b = await tpm.getRandom(64);
  t.not(a.toString('hex'), b.toString('hex'), 'two draws differ');
  t.ok(new Set(a).size > 20, 'bytes are varied');
});

t.test('pcrRead covers sha1, sha256 and sha384 and more than 8 PCRs per call', async (t) => {
  const { tpm } = await openTpmFor(t);
  const all = Array.from({ length: 24 }, (_, i) => i);
  const { updateCounter, values } = await tpm.pcrRead({ sha1: all, sha256: all, sha384: all });
  t.type(updateCounter, 'number');
  for (const [bank, size] of [
    ['sha1', 20],
    ['sha256', 32],
    ['sha384', 48],
  ] as const) {
    const bankValues = values[bank]!;
    t.same(Object.keys(bankValues).map(Number), all, `${bank}: all 24 PCRs`);
    t.ok(
      Object.values(bankValues).every((v) => v.length === size),
      `${bank}: digests of ${size} bytes`,
    );
  }
  // swtpm started without firmware: PCR0 is zeros, PCR17 (locality 4 DRTM) is all ones.
  t.equal(values.sha256![0]!.toString('hex'), '00'.repeat(32));
  t.equal(values.sha256![17]!.toString('hex'), 'ff'.repeat(32));
});

t.test('pcrExtend equals H(old ‖ m) in every bank', async (t) => {
  const { tpm } = await openTpmFor(t);
  const before = await tpm.pcrRead({ sha1: [16], sha256: [16], sha384: [16] });
  const m = {
    sha1: createHash('sha1').update('one').digest(),
    sha256: createHash('sha256').update('two').digest(),
    sha384: createHash('sha384').update('three').digest(),
  };
  await tpm.pcrExtend(16, m);
  const after = await tpm.pcrRead({ sha1: [16], sha256: [16], sha384: [16] });
  for (const bank of ['sha1', 'sha256', 'sha384'] as const) {
    const expected = createHash(bank)
      .update(Buffer.concat([before.values[bank]![16]!, m[bank]]))
      .digest('hex');
    t.equal(after.values[bank]![16]!.toString('hex'), expected, bank);
  }
  // PCR16 and PCR23 are debug PCRs: by the PC Client profile they do not move the update counter.
  t.equal(after.updateCounter, before.updateCounter, 'debug PCRs leave the update counter alone');
  await tpm.pcrExtend(8, { sha256: m.sha256 });
  t.ok((await tpm.pcrRead({ sha256: [8] })).updateCounter > before.updateCounter, 'PCR8 moves the update counter');
  // Extending one bank only leaves the others alone.
  await tpm.pcrExtend(23, { sha256: m.sha256 });
  const partial = await tpm.pcrRead({ sha1: [23], sha256: [23] });
  t.equal(partial.values.sha1![23]!.toString('hex'), '00'.repeat(20));
  t.not(partial.values.sha256![23]!.toString('hex'), '00'.repeat(32));
});

t.test('pcrRead of an inactive bank fails with a typed error instead of looping', async (t) => {
  // Provisioned with the sha1, sha256 and sha384 banks only.
  const { tpm } = await openTpmFor(t, { withEkCert: true });
  await t.rejects(tpm.pcrRead({ sha512: [0] }), { name: 'TpmError', code: 'PCR_BANK_INACTIVE' });
});

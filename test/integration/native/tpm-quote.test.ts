import t, { type Test } from 'tap';
import { createHash, verify, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openTpmFor } from './tpm-fixture.js';
import { attestHeadOf, publicKeyOf, signatureOf } from './tpm-wire-format.js';
import type { KeyHandle, QuoteResult } from '../../../native/tpm.js';

const run = promisify(execFile);

/** Runs tpm2_checkquote on files written from the addon's output; resolves to its exit status. */
async function checkquote(t: Test, ak: KeyHandle, quote: QuoteResult, nonce: Buffer): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'checkquote-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ak.pem'), publicKeyOf(ak.public).key.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'attest'), quote.attest);
  await writeFile(join(dir, 'sig'), quote.signature);
  const args = ['-u', 'ak.pem', '-m', 'attest', '-s', 'sig', '-q', nonce.toString('hex'), '-g', 'sha256'];
  try {
    await run('tpm2_checkquote', args, { cwd: dir, env: { ...process.env, TSS2_LOG: 'all+NONE' } });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

for (const kind of ['ecc', 'rsa'] as const) {
  t.test(`createAk(${kind}) makes a restricted signing key named 000b ‖ sha256(public)`, async (t) => {
    const { tpm } = await openTpmFor(t);
    const ak = await tpm.createAk(kind);
    t.equal(ak.kind, kind);
    const expectedName = Buffer.concat([Buffer.from([0x00, 0x0b]), createHash('sha256').update(ak.public).digest()]);
    t.equal(ak.name.toString('hex'), expectedName.toString('hex'));
    const summary = publicKeyOf(ak.public);
    t.equal(summary.type, kind);
    t.equal(summary.attributes, 0x00050072, 'fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign');
    if (kind === 'ecc') t.equal(summary.key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    else t.equal(summary.key.asymmetricKeyDetails?.modulusLength, 2048);
  });

  t.test(`quote with an ${kind} AK verifies in node:crypto and in tpm2_checkquote`, async (t) => {
    const { tpm } = await openTpmFor(t);
    const ak = await tpm.createAk(kind);
    const nonce = randomBytes(32);
    const quote = await tpm.quote(ak, { sha256: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], sha1: [0] }, nonce);
    const head = attestHeadOf(quote.attest);
    t.equal(head.magic, 0xff544347, 'TPM_GENERATED_VALUE');
    t.equal(head.type, 0x8018, 'TPM_ST_ATTEST_QUOTE');
    t.equal(head.extraData.toString('hex'), nonce.toString('hex'), 'nonce in extraData');
    const qualifiedName = createHash('sha256')
      .update(Buffer.concat([Buffer.from('4000000b', 'hex'), ak.name]))
      .digest();
    t.equal(
      head.qualifiedSigner.toString('hex'),
      `000b${qualifiedName.toString('hex')}`,
      'qualifiedSigner: the AK is a primary of the endorsement hierarchy',
    );
    const signature = signatureOf(quote.signature);
    t.equal(signature.sigAlg, kind === 'ecc' ? 0x0018 : 0x0014);
    t.equal(signature.hashAlg, 0x000b);
    const key = publicKeyOf(ak.public).key;
    const ok = verify('sha256', quote.attest, { key, dsaEncoding: 'ieee-p1363' }, signature.value);
    t.ok(ok, 'node:crypto verifies the signature over TPMS_ATTEST');

    t.equal(await checkquote(t, ak, quote, nonce), 0, 'tpm2_checkquote accepts the quote');
    t.not(await checkquote(t, ak, quote, randomBytes(32)), 0, 'tpm2_checkquote rejects another nonce');
  });
}

t.test('sign: a restricted AK signs ordinary messages but not TPM_GENERATED_VALUE ones', async (t) => {
  const { tpm } = await openTpmFor(t);
  const ak = await tpm.createAk('ecc');
  const key = publicKeyOf(ak.public).key;
  for (const message of [Buffer.from('hello'), randomBytes(3000)]) {
    const signature = signatureOf(await tpm.sign(ak, message));
    t.ok(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature.value), `${message.length} bytes`);
  }
  const forged = Buffer.concat([Buffer.from('ff544347', 'hex'), Buffer.from('8018 looks like a quote')]);
  await t.rejects(tpm.sign(ak, forged), { name: 'TpmError', code: 'TPM_RC', rc: 0x3e0 });
});

import t from 'tap';
import { randomBytes, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tpm } from '../../../native/tpm.js';
import { diagnoseLoadFailures, loadAddon, TPM_ADDON_FILE } from '../../../native/loader.js';
import { readEventLog } from '../../../native/event-log-reader.js';
import { openTpmFor } from './tpm-fixture.js';
import { attestHeadOf, publicKeyOf, signatureOf } from './tpm-wire-format.js';

t.test('an absent TPM gives one clear TPM_UNAVAILABLE', async (t) => {
  const error: unknown = await Tpm.open('swtpm:path=/nonexistent').catch((e: unknown) => e);
  t.match(error, {
    name: 'TpmError',
    code: 'TPM_UNAVAILABLE',
    message: /^Expected a TPM at swtpm:path=\/nonexistent but connecting failed: tcti:IO failure \(0x000a000a\)$/,
    rc: 0xa000a,
  });
  await t.rejects(Tpm.open('nosuchtcti:x'), { name: 'TpmError', code: 'TPM_UNAVAILABLE', message: /nosuchtcti:x/ });
  await t.rejects(Tpm.open(''), { name: 'InputError', code: 'INVALID_ARGUMENT', message: /for tcti/ });
});

async function readAnUndefinedIndexFromTheCaller(tpm: Tpm): Promise<Buffer> {
  return tpm.nvRead(0x01500099);
}

t.test('native errors carry the rc and the calling function in their stack', async (t) => {
  const { tpm } = await openTpmFor(t);
  const error: unknown = await readAnUndefinedIndexFromTheCaller(tpm).catch((e: unknown) => e);
  t.match(error, { name: 'TpmError', code: 'TPM_RC', rcText: /handle/ });
  t.type((error as { rc: unknown }).rc, 'number');
  const stack = (error as Error).stack ?? '';
  t.match(stack, /^TpmError: Esys_TR_FromTPMPublic failed/);
  t.match(stack, /at Tpm\.nvRead /);
  t.match(stack, /at readAnUndefinedIndexFromTheCaller /);
  t.match(stack, /tpm-lifecycle\.test\.ts/);
});

t.test('8 concurrent quotes on one context are queued and all verify', async (t) => {
  const { tpm } = await openTpmFor(t);
  const ak = await tpm.createAk('ecc');
  const key = publicKeyOf(ak.public).key;
  const nonces = Array.from({ length: 8 }, () => randomBytes(32));
  const pending = nonces.map((nonce) => tpm.quote(ak, { sha256: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, nonce));
  const stats = tpm.queueStats();
  t.equal(stats.queued + stats.inFlight, 8, 'all eight are accounted for');
  t.ok(stats.inFlight <= 1, 'at most one in flight');
  const quotes = await Promise.all(pending);
  quotes.forEach((quote, i) => {
    t.equal(attestHeadOf(quote.attest).extraData.toString('hex'), nonces[i]!.toString('hex'), `quote ${i} nonce`);
    const signature = signatureOf(quote.signature).value;
    t.ok(verify('sha256', quote.attest, { key, dsaEncoding: 'ieee-p1363' }, signature), `quote ${i} verifies`);
  });
  t.same(tpm.queueStats(), { queued: 0, inFlight: 0 });
});

t.test('close waits for queued work, then every call fails with TPM_CLOSED', async (t) => {
  const { tpm } = await openTpmFor(t);
  const pending = tpm.getRandom(16);
  const closing = tpm.close();
  t.equal((await pending).length, 16, 'queued work finished');
  await closing;
  t.ok(tpm.closed);
  await t.rejects(tpm.getRandom(1), { name: 'TpmError', code: 'TPM_CLOSED' });
  await tpm.close(); // idempotent
});

t.test('the loader names every cause and its fix', (t) => {
  t.throws(() => loadAddon(TPM_ADDON_FILE, ['/nonexistent/a/', '/nonexistent/b/']), {
    name: 'TpmError',
    code: 'NATIVE_LOAD_FAILED',
    message: /tried 2 locations[\s\S]*not built: run `npm run build:native`/,
  });
  const causes = diagnoseLoadFailures(
    [
      { path: '/x/tpm2.node', error: new Error('libtss2-esys.so.0: cannot open shared object file') },
      {
        path: '/y/tpm2.node',
        error: new Error('was compiled against a different Node.js version NODE_MODULE_VERSION 115'),
      },
      { path: '/z/tpm2.node', error: new Error('/z/tpm2.node: invalid ELF header') },
    ],
    'darwin',
  );
  t.match(causes, [
    /wrong platform: .* darwin/,
    /libtss2-esys\.so\.0 is missing: apt-get install libtss2-esys-3\.0\.2-0/,
    /ABI mismatch .*npm run build:native/,
    /wrong platform: \/z\/tpm2\.node/,
  ]);
  t.end();
});

t.test('readEventLog reads the file or explains that securityfs is needed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'eventlog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = Buffer.from('00000000 spec id event', 'utf8');
  await writeFile(join(dir, 'log'), log);
  await writeFile(join(dir, 'empty'), Buffer.alloc(0));
  t.same(await readEventLog(join(dir, 'log')), log);
  await t.rejects(readEventLog(join(dir, 'missing')), {
    name: 'TpmError',
    code: 'EVENT_LOG_UNAVAILABLE',
    message: /^Expected a TCG event log at .*missing but it does not exist; securityfs must be mounted/,
  });
  await t.rejects(readEventLog(join(dir, 'empty')), {
    name: 'TpmError',
    code: 'EVENT_LOG_UNAVAILABLE',
    message: /empty/,
  });
  await t.rejects(readEventLog(dir), { name: 'TpmError', code: 'EVENT_LOG_UNAVAILABLE', message: /directory/ });
});

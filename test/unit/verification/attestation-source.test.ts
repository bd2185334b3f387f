// The TPM lifecycle of the source, with a fake TPM: AK created once, flushed then the TPM closed exactly once.
import t from 'tap';
import { TpmError } from '../../../lib/errors.js';
import {
  openTpmAttestationSource,
  sharedTpmAttestationSource,
  type SourceTpm,
} from '../../../agents/verification/attestation-source.js';

function fakeTpm(options: { failCreate?: boolean; failFlush?: boolean } = {}) {
  const calls: string[] = [];
  const ak = {
    handle: 1,
    public: Buffer.alloc(4),
    name: Buffer.from('000b' + 'cd'.repeat(32), 'hex'),
    kind: 'ecc' as const,
  };
  const reject = (what: string) => Promise.reject(new TpmError('TPM_RC', `${what} failed`));
  const tpm = {
    createAk: () => {
      calls.push('createAk');
      return options.failCreate === true ? reject('createAk') : Promise.resolve(ak);
    },
    flush: () => {
      calls.push('flush');
      return options.failFlush === true ? reject('flush') : Promise.resolve();
    },
    close: () => {
      calls.push('close');
      return Promise.resolve();
    },
    quote: () => reject('quote'),
    pcrRead: () => reject('pcrRead'),
    readEkCertificate: () => Promise.resolve(undefined),
  } as unknown as SourceTpm;
  return { tpm, calls };
}

t.test('the AK is created once and named; close flushes then closes, once', async (t) => {
  const { tpm, calls } = fakeTpm();
  const source = await openTpmAttestationSource(tpm);
  t.equal(source.akName, '000b' + 'cd'.repeat(32));
  await t.rejects(source.attest(Buffer.alloc(8)), { code: 'INVALID_ARGUMENT' }, 'nonce checked before any TPM work');
  await Promise.all([source.close(), source.close()]);
  t.same(calls, ['createAk', 'flush', 'close']);
});

t.test('a failed flush still closes the TPM', async (t) => {
  const { tpm, calls } = fakeTpm({ failFlush: true });
  const source = await openTpmAttestationSource(tpm);
  await t.rejects(source.close(), { constructor: TpmError, code: 'TPM_RC' });
  t.same(calls, ['createAk', 'flush', 'close']);
});

t.test('a failed AK creation closes the TPM and rethrows', async (t) => {
  const { tpm, calls } = fakeTpm({ failCreate: true });
  await t.rejects(openTpmAttestationSource(tpm), { constructor: TpmError, code: 'TPM_RC' });
  t.same(calls, ['createAk', 'close']);
});

function sharedFake() {
  const calls: string[] = [];
  let handles = 10;
  const key = (kind: 'ecc' | 'rsa') => ({
    handle: handles++,
    public: Buffer.alloc(4),
    name: Buffer.from('000b' + 'ab'.repeat(32), 'hex'),
    kind,
  });
  let loaded = 0;
  let maxLoaded = 0;
  const tpm = {
    createAk: () => {
      calls.push('createAk');
      loaded += 1;
      maxLoaded = Math.max(maxLoaded, loaded);
      return Promise.resolve(key('ecc'));
    },
    createEk: () => {
      calls.push('createEk');
      loaded += 1;
      maxLoaded = Math.max(maxLoaded, loaded);
      return Promise.resolve(key('rsa'));
    },
    activateCredential: async (_ak: unknown, _ek: unknown, blob: Buffer) => {
      calls.push('activate');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return blob[0] === 0 ? Promise.reject(new TpmError('TPM_RC', 'integrity check failed')) : Buffer.from('secret');
    },
    flush: () => {
      calls.push('flush');
      loaded -= 1;
      return Promise.resolve();
    },
    close: () => {
      calls.push('close');
      return Promise.resolve();
    },
    quote: () => Promise.reject(new TpmError('TPM_RC', 'quote')),
    pcrRead: () => Promise.reject(new TpmError('TPM_RC', 'pcrRead')),
    readEkCertificate: () => Promise.resolve(undefined),
  } as unknown as SourceTpm;
  return { tpm, calls, maxLoaded: () => maxLoaded, loaded: () => loaded };
}

t.test(
  'shared source: one EK per activation, one at a time, flushed even on refusal; the Tpm is never closed',
  async (t) => {
    const fake = sharedFake();
    const source = await sharedTpmAttestationSource(fake.tpm);
    const answers = await Promise.allSettled([
      source.activate(Buffer.from([1]), Buffer.alloc(1)),
      source.activate(Buffer.from([0]), Buffer.alloc(1)),
      source.activate(Buffer.from([1]), Buffer.alloc(1)),
    ]);
    t.same(
      answers.map((answer) => answer.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    t.equal(fake.maxLoaded(), 2, 'at most the AK and one EK loaded at any time');
    await source.close();
    t.equal(fake.loaded(), 0, 'everything the source made is flushed');
    t.notOk(fake.calls.includes('close'), 'the shared Tpm is not closed');
  },
);

t.test('shared source with lent keys: nothing created, nothing flushed', async (t) => {
  const fake = sharedFake();
  const ak = {
    handle: 1,
    public: Buffer.alloc(4),
    name: Buffer.from('000b' + 'ef'.repeat(32), 'hex'),
    kind: 'ecc' as const,
  };
  const ek = { ...ak, handle: 2, kind: 'rsa' as const };
  const source = await sharedTpmAttestationSource(fake.tpm, { keys: { ak, ek } });
  t.equal(source.akName, '000b' + 'ef'.repeat(32));
  t.same(await source.activate(Buffer.from([1]), Buffer.alloc(1)), Buffer.from('secret'));
  await source.close();
  t.same(fake.calls, ['activate']);
});

t.test('owned source: the EK is made on the first activation, kept, flushed before the TPM closes', async (t) => {
  const fake = sharedFake();
  const source = await openTpmAttestationSource(fake.tpm);
  await source.activate(Buffer.from([1]), Buffer.alloc(1));
  await source.activate(Buffer.from([1]), Buffer.alloc(1));
  await source.close();
  t.same(fake.calls, ['createAk', 'createEk', 'activate', 'activate', 'flush', 'flush', 'close']);
});

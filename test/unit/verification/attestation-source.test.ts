// The TPM lifecycle of the source, with a fake TPM: AK created once, flushed then the TPM closed exactly once.
import t from 'tap';
import { TpmError } from '../../../lib/errors.js';
import { openTpmAttestationSource, type SourceTpm } from '../../../agents/verification/attestation-source.js';

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

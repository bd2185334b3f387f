// Property tests: mutated evidence (AK, quote, signature, PCR maps, event log, certificates) gives a state
// or a ConstellationError, never another exception, and a mutated signed byte never verifies.
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ConstellationError } from '../../../../lib/errors.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { verifyQemuVtpm, type QemuVtpmInput } from '../../../../lib/attestation/verify/qemu-vtpm-validator.js';
import { bootedPcrs, createSyntheticTpm, syntheticQuote } from './synthetic-tpm.js';

const tpm = await createSyntheticTpm();
const boot = bootedPcrs('cos-85-amd-sev.bin');
const qd = computeBinding(randomBytes(32), randomBytes(65));
const quote = syntheticQuote(tpm, 'sha256', boot.pcrs, qd);
const base: QemuVtpmInput = {
  evidence: { akPublic: tpm.akPublic, quotes: [quote], eventLog: boot.log, ekCertificate: tpm.ekCertificate },
  trust: {
    ekRoots: [tpm.rootPem],
    ak: { mode: 'credential-activation', activated: { ekPublic: tpm.ekPublicKey, akName: tpm.akName } },
  },
  expectedQualifyingData: qd,
  now: new Date('2026-01-01T00:00:00Z'),
};
verifyQemuVtpm(base);

function mutate(bytes: Uint8Array, flips: readonly [number, number][], cut: number | undefined): Buffer {
  const copy = Buffer.from(bytes);
  for (const [at, value] of flips) if (copy.length > 0) copy[at % copy.length] = value;
  return cut === undefined ? copy : copy.subarray(0, cut % (copy.length + 1));
}

const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
const cut = fc.option(fc.nat(), { nil: undefined });
const field = fc.constantFrom('akPublic', 'attest', 'signature', 'pcr', 'eventLog', 'ekCertificate');

t.test('property: mutated evidence → state or ConstellationError; signed parts never verify mutated', (t) => {
  fc.assert(
    fc.property(field, flips, cut, (which, changes, length) => {
      const evidence = { ...base.evidence };
      let mustFail = false;
      if (which === 'akPublic') evidence.akPublic = mutate(tpm.akPublic, changes, length);
      if (which === 'attest' || which === 'signature') {
        const changed = mutate(quote[which], changes, length);
        mustFail = !changed.equals(quote[which]);
        evidence.quotes = [{ ...quote, [which]: changed }];
      }
      if (which === 'pcr') {
        const index = (changes[0]?.[0] ?? 0) % 24;
        const value = mutate(boot.pcrs[index] ?? Buffer.alloc(32), changes, length);
        mustFail = !value.equals(boot.pcrs[index] ?? Buffer.alloc(0));
        evidence.quotes = [{ ...quote, pcrs: { ...quote.pcrs, [index]: value } }];
      }
      if (which === 'eventLog') evidence.eventLog = mutate(boot.log, changes, length);
      if (which === 'ekCertificate') evidence.ekCertificate = mutate(tpm.ekCertificate, changes, length);
      try {
        verifyQemuVtpm({ ...base, evidence });
      } catch (error) {
        return error instanceof ConstellationError;
      }
      return !mustFail;
    }),
    { numRuns: 600 },
  );
  t.pass('600 mutated documents');
  t.end();
});

t.test('property: random quotes list shapes → ConstellationError, never a crash', (t) => {
  const randomQuote = fc.record({
    pcrBank: fc.oneof(fc.constantFrom('sha1', 'sha256', 'sha384', 'sha512'), fc.string()),
    attest: fc.uint8Array({ maxLength: 200 }),
    signature: fc.uint8Array({ maxLength: 300 }),
    pcrs: fc.dictionary(fc.oneof(fc.nat(30).map(String), fc.string()), fc.uint8Array({ maxLength: 64 })),
  });
  fc.assert(
    fc.property(fc.array(randomQuote, { maxLength: 10 }), fc.boolean(), (quotes, allowSha1Banks) => {
      try {
        verifyQemuVtpm({ ...base, evidence: { ...base.evidence, quotes }, options: { allowSha1Banks } });
      } catch (error) {
        return error instanceof ConstellationError;
      }
      return false;
    }),
    { numRuns: 500 },
  );
  t.pass('500 random quote lists');
  t.end();
});

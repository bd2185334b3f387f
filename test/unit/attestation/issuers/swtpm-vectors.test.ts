// The swtpm quote vectors (test/vectors/swtpm, made by tpm2-tools) give what their README promises.
import t from 'tap';
import { X509Certificate, createHash } from 'node:crypto';
import { VerificationError } from '../../../../lib/errors.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { parsePublic } from '../../../../lib/tpm/public-area.js';
import { verifyQuote } from '../../../../lib/tpm/quote-verifier.js';
import { vector } from './tee-vectors.js';

interface SwtpmManifest {
  nonce: string;
  binding: string;
  qualifyingData: string;
  measurements: { pcr: number; label: string; sha256: string }[];
  pcrs: { sha256: Record<string, string> };
}

const manifest = JSON.parse(vector('swtpm/quote.json').toString('utf8')) as SwtpmManifest;
const pcrs = Object.fromEntries(Object.entries(manifest.pcrs.sha256).map(([i, hex]) => [i, Buffer.from(hex, 'hex')]));
const qualifyingData = Buffer.from(manifest.qualifyingData, 'hex');

t.test('qualifying data is computeBinding(nonce, binding)', (t) => {
  t.equal(
    computeBinding(Buffer.from(manifest.nonce, 'hex'), Buffer.from(manifest.binding, 'hex')).toString('hex'),
    manifest.qualifyingData,
  );
  t.end();
});

t.test('PCRs replay from the recorded measurements; 17-22 are all-ones, the rest zero', (t) => {
  const expected: Record<number, Buffer> = {};
  for (let i = 0; i < 24; i += 1) expected[i] = Buffer.alloc(32, i >= 17 && i <= 22 ? 0xff : 0);
  for (const { pcr, sha256 } of manifest.measurements) {
    expected[pcr] = createHash('sha256').update(expected[pcr]!).update(Buffer.from(sha256, 'hex')).digest();
  }
  for (let i = 0; i < 24; i += 1) t.equal(pcrs[i]?.toString('hex'), expected[i]!.toString('hex'), `PCR ${i}`);
  t.end();
});

for (const kind of ['ecc', 'rsa'] as const) {
  t.test(`${kind} AK quote verifies over sha256 PCR 0-23`, (t) => {
    const akPublic = vector(`swtpm/ak-${kind}.tpmt-public`);
    t.equal(parsePublic(akPublic).type, kind);
    const input = {
      akPublic,
      attest: vector(`swtpm/quote-${kind}.attest`),
      signature: vector(`swtpm/quote-${kind}.sig`),
      expectedQualifyingData: qualifyingData,
      pcrs: { sha256: pcrs },
    };
    const verified = verifyQuote(input);
    t.same(verified.selection, { sha256: Array.from({ length: 24 }, (_, i) => i) });
    t.throws(() => verifyQuote({ ...input, expectedQualifyingData: Buffer.alloc(32) }), {
      constructor: VerificationError,
      code: /^QUOTE_/,
    });
    const tampered = { ...pcrs, 4: Buffer.alloc(32) };
    t.throws(() => verifyQuote({ ...input, pcrs: { sha256: tampered } }), {
      constructor: VerificationError,
      code: /^QUOTE_/,
    });
    t.end();
  });
}

t.test('the RSA EK certificate chains to the local CA root', (t) => {
  const ek = new X509Certificate(vector('swtpm/ek-rsa.der'));
  const intermediate = new X509Certificate(vector('swtpm/ca-intermediate.pem'));
  const root = new X509Certificate(vector('swtpm/ca-root.pem'));
  t.ok(ek.verify(intermediate.publicKey), 'EK signed by the intermediate');
  t.ok(intermediate.verify(root.publicKey), 'intermediate signed by the root');
  t.ok(root.verify(root.publicKey), 'root self-signed');
  t.notOk(ek.verify(root.publicKey), 'EK not signed by the root directly');
  t.equal(ek.publicKey.asymmetricKeyType, 'rsa');
  t.end();
});

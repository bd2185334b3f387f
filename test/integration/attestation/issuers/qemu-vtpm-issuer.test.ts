// qemu-vtpm issuer against a fresh swtpm (with a local-CA EK certificate) through the native Tpm.
import t, { type Test } from 'tap';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConstellationError, InputError } from '../../../../lib/errors.js';
import { issueQemuVtpmEvidence, type QuotingTpm } from '../../../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import { computeBinding } from '../../../../lib/attestation/verify/binding.js';
import { parsePublic } from '../../../../lib/tpm/public-area.js';
import { verifyQuote } from '../../../../lib/tpm/quote-verifier.js';
import { AttestationDocument } from '../../../../proto/gen/attestation.js';
import { Tpm } from '../../../../native/tpm.js';
import { swtpmFor, testCa } from '../../../helpers/swtpm.js';

const eventLogVector = fileURLToPath(
  new URL('../../../vectors/tpm/go-attestation/crypto_agile_eventlog', import.meta.url),
);
const nonce = randomBytes(32);
const binding = Buffer.from('channel public key (SPKI)');
const ALL_PCRS = Array.from({ length: 24 }, (_, index) => index);

async function openTpm(t: Test, withEkCert = true): Promise<Tpm> {
  const swtpm = await swtpmFor(t, { withEkCert });
  const tpm = await Tpm.open(swtpm.tcti);
  t.teardown(() => tpm.close());
  return tpm;
}

async function missingPath(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'no-eventlog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'binary_bios_measurements');
}

t.test('document fields: ECC AK, one sha256 quote over PCR 0-23, event log, EK certificate', async (t) => {
  const tpm = await openTpm(t);
  const result = await issueQemuVtpmEvidence({ tpm, nonce, binding, eventLogPath: eventLogVector });
  const { evidence, document } = result;
  t.same(document.variant, 'qemu-vtpm');
  t.equal(document.version, 1);
  t.equal(document.tpm, evidence);
  t.equal(result.eventLogMissing, false);
  t.same(result.warnings, []);
  t.same(evidence.eventLog, await readFile(eventLogVector));

  const ak = parsePublic(evidence.akPublic);
  t.equal(ak.type, 'ecc');
  t.equal(evidence.quotes.length, 1);
  const quote = evidence.quotes[0]!;
  t.equal(quote.pcrBank, 'sha256');
  t.same(Object.keys(quote.pcrs).map(Number), ALL_PCRS);
  for (const value of Object.values(quote.pcrs)) t.equal(value.length, 32);

  const verified = verifyQuote({
    akPublic: evidence.akPublic,
    attest: quote.attest,
    signature: quote.signature,
    expectedQualifyingData: computeBinding(nonce, binding),
    pcrs: { sha256: quote.pcrs },
  });
  t.same(verified.selection, { sha256: ALL_PCRS }, 'the quote signs exactly PCR 0-23 of sha256');

  const ek = new X509Certificate(evidence.ekCertificate);
  const intermediate = new X509Certificate(await (await testCa()).intermediatePem());
  t.ok(ek.checkIssued(intermediate), 'EK certificate issued by the local CA');
  t.ok(ek.verify(intermediate.publicKey), 'EK certificate signature verifies');
  t.equal(ek.publicKey.asymmetricKeyType, 'rsa', 'the RSA EK certificate');
  t.same(evidence.akCertificateChain, []);

  const decoded = AttestationDocument.decode(AttestationDocument.encode(document).finish());
  t.same(decoded.tpm?.quotes[0]?.attest, quote.attest, 'document survives protobuf encoding');
});

t.test('RSA AK on request; a quote for another nonce does not verify', async (t) => {
  const tpm = await openTpm(t);
  const { evidence } = await issueQemuVtpmEvidence({
    tpm,
    nonce,
    binding,
    akKind: 'rsa',
    eventLogPath: eventLogVector,
  });
  t.equal(parsePublic(evidence.akPublic).type, 'rsa');
  const quote = evidence.quotes[0]!;
  t.throws(
    () =>
      verifyQuote({
        akPublic: evidence.akPublic,
        attest: quote.attest,
        signature: quote.signature,
        expectedQualifyingData: computeBinding(randomBytes(32), binding),
        pcrs: { sha256: quote.pcrs },
      }),
    { code: /^QUOTE_/ },
  );
});

t.test('absent event log and EK certificate are warnings, never crashes', async (t) => {
  const tpm = await openTpm(t, false);
  const result = await issueQemuVtpmEvidence({ tpm, nonce, binding, eventLogPath: await missingPath(t) });
  t.equal(result.eventLogMissing, true);
  t.same(result.evidence.eventLog, Buffer.alloc(0));
  t.same(result.evidence.ekCertificate, Buffer.alloc(0));
  t.match(result.warnings, [/no TCG event log at .*binary_bios_measurements/, /no RSA EK certificate/]);
});

t.test('a supplied AK is used and stays loaded; a fresh AK is flushed', async (t) => {
  const tpm = await openTpm(t);
  const ak = await tpm.createAk('ecc');
  const eventLogPath = await missingPath(t);
  const { evidence } = await issueQemuVtpmEvidence({ tpm, nonce, binding, ak, eventLogPath });
  t.same(evidence.akPublic, ak.public);
  await tpm.quote(ak, { sha256: [0] }, Buffer.from('still loaded'));

  let flushed = 0;
  const counting: QuotingTpm = {
    createAk: (kind) => tpm.createAk(kind),
    quote: (key, selection, data) => tpm.quote(key, selection, data),
    pcrRead: (selection) => tpm.pcrRead(selection),
    readEkCertificate: (kind) => tpm.readEkCertificate(kind),
    flush: async (key) => {
      flushed += 1;
      await tpm.flush(key);
    },
  };
  await issueQemuVtpmEvidence({ tpm: counting, nonce, binding, eventLogPath });
  t.equal(flushed, 1);
});

t.test('a PCR extended between read and quote is caught and the quote retaken', async (t) => {
  const tpm = await openTpm(t);
  let extendsLeft = 1;
  const racing: QuotingTpm = {
    createAk: (kind) => tpm.createAk(kind),
    pcrRead: async (selection) => {
      const values = await tpm.pcrRead(selection);
      if (extendsLeft > 0) {
        extendsLeft -= 1;
        await tpm.pcrExtend(16, { sha256: randomBytes(32) });
      }
      return values;
    },
    quote: (key, selection, data) => tpm.quote(key, selection, data),
    readEkCertificate: (kind) => tpm.readEkCertificate(kind),
    flush: (key) => tpm.flush(key),
  };
  const { evidence } = await issueQemuVtpmEvidence({ tpm: racing, nonce, binding, eventLogPath: await missingPath(t) });
  const quote = evidence.quotes[0]!;
  const verified = verifyQuote({
    akPublic: evidence.akPublic,
    attest: quote.attest,
    signature: quote.signature,
    expectedQualifyingData: computeBinding(nonce, binding),
    pcrs: { sha256: quote.pcrs },
  });
  t.not(verified.pcrs.sha256?.[16]?.toString('hex'), '00'.repeat(32), 'PCR 16 carries the extension');

  extendsLeft = 99;
  await t.rejects(issueQemuVtpmEvidence({ tpm: racing, nonce, binding, eventLogPath: await missingPath(t) }), {
    constructor: ConstellationError,
    code: 'PCRS_CHANGED_DURING_QUOTE',
  });
});

t.test('invalid requests are refused before the TPM is used', async (t) => {
  const tpm = await openTpm(t, false);
  await t.rejects(issueQemuVtpmEvidence({ tpm, nonce: Buffer.alloc(4), binding }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
    message: /for nonce/,
  });
  await t.rejects(issueQemuVtpmEvidence({ tpm, nonce, binding, akKind: 'dsa' as 'ecc' }), {
    constructor: InputError,
    code: 'INVALID_ARGUMENT',
    message: /for akKind/,
  });
});

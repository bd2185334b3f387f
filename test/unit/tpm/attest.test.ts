import t from 'tap';
import { VerificationError } from '../../../lib/errors.js';
import { parseAttest } from '../../../lib/tpm/attest.js';
import { marshalAttest, marshalQuoteInfo } from '../../../lib/tpm/attest-marshal.js';
import { TPM_GENERATED_VALUE, TPM_ST } from '../../../lib/tpm/tpm-constants.js';
import { TpmWriter } from '../../../lib/tpm/tpm-writer.js';
import { azureQuote, gcpAttestation, vectorFile, windowsQuote } from './tpm-vectors.js';

const ALL_PCRS = Array.from({ length: 24 }, (_, i) => i);

t.test('Azure vTPM quote: every field as recorded in expected.json', (t) => {
  const attest = parseAttest(vectorFile('azure/azure-cvm-tooling/quote_2024.tpms_attest.bin'));
  t.equal(attest.magic, 4283712327);
  t.equal(attest.type, 32792);
  t.equal(
    attest.qualifiedSigner.toString('hex'),
    '000bbf2498e2f2b96bee3a52db769ef9e9b8dc78fb75eb6a72550473ea3546f90590',
  );
  t.equal(attest.extraData.toString('latin1'), 'challenge');
  t.same(attest.clockInfo, { clock: 3131573n, resetCount: 3, restartCount: 0, safe: true });
  t.equal(attest.firmwareVersion, 2314853584313909251n);
  t.same(attest.quote?.selection, { sha256: ALL_PCRS });
  t.same(attest.quote?.banks, ['sha256']);
  t.equal(attest.quote?.pcrDigest.toString('hex'), '04fabd988106412e438c1b93ad3b4b046c760f8f99ec557d87adf2ab02b7a4a0');
  t.same(
    azureQuote().attest,
    vectorFile('azure/azure-cvm-tooling/quote_2024.tpms_attest.bin'),
    'container matches the derived file',
  );
  t.end();
});

t.test('Azure 2023 quote: selection sha256 {15,16,22}, extraData 010203', (t) => {
  const attest = parseAttest(vectorFile('azure/azure-cvm-tooling/quote_msg_2023.bin'));
  t.same(attest.quote?.selection, { sha256: [15, 16, 22] });
  t.equal(attest.extraData.toString('hex'), '010203');
  t.equal(attest.clockInfo.clock, 177952818n);
  t.equal(attest.quote?.pcrDigest.toString('hex'), '51cdfd15463a712da38c49e9390d861030e28cf1f19ebe9f5a8b6901a9df64fc');
  t.end();
});

t.test('GCE quotes: one bank each, PCR 0-23, pcrDigest as recorded', (t) => {
  for (const q of gcpAttestation('gce-cos-85-nonce9009.pb').quotes) {
    const attest = parseAttest(q.attest);
    t.same(attest.quote?.selection, { [q.bank]: ALL_PCRS }, q.bank);
    t.same(attest.quote?.pcrDigest, q.pcrDigest, q.bank);
    t.equal(attest.extraData.toString('hex'), '9009');
  }
  t.end();
});

t.test('a creation attestation parses generically with its attested bytes kept raw', (t) => {
  const { creationAttest, attest } = windowsQuote();
  const creation = parseAttest(creationAttest);
  t.equal(creation.type, TPM_ST.ATTEST_CREATION);
  t.equal(creation.quote, undefined);
  t.equal(creation.attested.length, 2 + 34 + 2 + 32, 'TPMS_CREATION_INFO: objectName + creationHash');
  t.equal(parseAttest(attest).quote?.pcrDigest.toString('hex'), 'a610f27bc687ce906243287d832706036e79f6e1');
  t.end();
});

t.test('malformed quote bodies', (t) => {
  const body = (selection: TpmWriter): Buffer =>
    marshalAttest({
      attested: Buffer.concat([selection.toBuffer(), new TpmWriter().sized(Buffer.alloc(32)).toBuffer()]),
    });
  const cases: [string, Buffer, RegExp][] = [
    [
      'unknown bank hash (SM3)',
      body(
        new TpmWriter()
          .u32(1)
          .u16(0x0012)
          .u8(3)
          .raw(Buffer.from([1, 0, 0])),
      ),
      /known PCR bank hash.*0x0012/,
    ],
    [
      'the same bank twice',
      body(
        new TpmWriter()
          .u32(2)
          .u16(0x000b)
          .u8(3)
          .raw(Buffer.from([1, 0, 0]))
          .u16(0x000b)
          .u8(3)
          .raw(Buffer.from([2, 0, 0])),
      ),
      /sha256 twice/,
    ],
    ['sizeofSelect too large', body(new TpmWriter().u32(1).u16(0x000b).u8(200).raw(Buffer.alloc(200))), /at most 32/],
    ['selection count past the end', body(new TpmWriter().u32(0xffffffff)), /Expected/],
    [
      'trailing bytes after pcrDigest',
      marshalAttest({
        attested: Buffer.concat([marshalQuoteInfo({ sha256: [0] }, Buffer.alloc(32)), Buffer.alloc(1)]),
      }),
      /more bytes follow/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    t.throws(
      () => parseAttest(bytes),
      { constructor: VerificationError, code: 'TPM_STRUCTURE_MALFORMED', message },
      name,
    );
  }
  const unsafe = marshalAttest({ attested: marshalQuoteInfo({ sha256: [0] }, Buffer.alloc(32)) });
  unsafe[4 + 2 + 2 + 2 + 8 + 4 + 4] = 2;
  t.throws(() => parseAttest(unsafe), { code: 'TPM_STRUCTURE_MALFORMED', message: /0 or 1 for clockInfo.safe, got 2/ });
  t.end();
});

t.test('marshalQuoteInfo keeps bank order and index bitmaps', (t) => {
  const bytes = marshalAttest({
    extraData: Buffer.from('n'),
    attested: marshalQuoteInfo({ sha384: [23], sha1: [0, 7, 8] }, Buffer.alloc(32, 9), ['sha384', 'sha1']),
  });
  const attest = parseAttest(bytes);
  t.equal(attest.magic, TPM_GENERATED_VALUE);
  t.same(attest.quote?.banks, ['sha384', 'sha1']);
  t.same(attest.quote?.selection, { sha384: [23], sha1: [0, 7, 8] });
  t.same(Object.keys(attest.quote?.selection ?? {}), ['sha384', 'sha1']);
  t.end();
});

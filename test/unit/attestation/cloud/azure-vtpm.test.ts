// Azure CVM evidence (azure-cvm-tooling vectors): vTPM quote with the published AK, the HCL report's
// binding of the runtime claims and its HCLAkPub, and the SNP report that cannot verify with certs.pem.
import t from 'tap';
import fc from 'fast-check';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConstellationError, VerificationError } from '../../../../lib/errors.js';
import { marshalPublic } from '../../../../lib/tpm/public-marshal.js';
import { parsePublic } from '../../../../lib/tpm/public-area.js';
import { marshalSignature } from '../../../../lib/tpm/signature-marshal.js';
import { TPM_ALG } from '../../../../lib/tpm/tpm-constants.js';
import {
  hclAkPublicKey,
  parseHclReport,
  verifyHclBinding,
} from '../../../../lib/attestation/cloud/azure-hcl-report.js';
import { verifyAzureVtpm } from '../../../../lib/attestation/cloud/azure-vtpm-validator.js';
import { verifyTpmEvidence } from '../../../../lib/attestation/verify/tpm-evidence.js';
import { rejectsCode, throwsCode } from '../verify/expect-error.js';

const DIR = new URL('../../../vectors/azure/azure-cvm-tooling/', import.meta.url);
const file = (name: string): Buffer => readFileSync(new URL(name, DIR));
const NOW = new Date('2024-06-01T00:00:00Z');
const CHALLENGE = Buffer.from('challenge');

/** quote.bin: u64-LE length + signature, u64-LE length + TPMS_ATTEST, u64-LE count + count × 32-byte PCRs. */
function azureQuote(): { attest: Buffer; signature: Buffer; pcrs: Record<number, Buffer> } {
  const bin = file('quote.bin');
  let offset = 0;
  const take = (n: number): Buffer => bin.subarray(offset, (offset += n));
  const sigLength = Number(take(8).readBigUInt64LE());
  const rawSig = take(sigLength);
  const attestLength = Number(take(8).readBigUInt64LE());
  const attest = take(attestLength);
  const count = Number(take(8).readBigUInt64LE());
  const pcrs: Record<number, Buffer> = {};
  for (let i = 0; i < count; i++) pcrs[i] = take(32);
  const signature = marshalSignature({ kind: 'rsa', sigAlg: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256, sig: rawSig });
  return { attest, signature, pcrs };
}

const akPem = file('akpub.pem').toString('utf8');
const akPublic = marshalPublic(createPublicKey(akPem));

t.test('quote_2024 with akpub.pem: valid, 24 SHA-256 PCRs, extraData "challenge"', (t) => {
  const quote = azureQuote();
  t.same(quote.attest, file('quote_2024.tpms_attest.bin'), 'container split as the derived file');
  const verified = verifyTpmEvidence(
    parsePublic(akPublic),
    { akPublic, quotes: [{ pcrBank: 'sha256', ...quote }] },
    CHALLENGE,
  );
  t.equal(Object.keys(verified.pcrs.sha256 ?? {}).length, 24);
  t.equal(
    verified.pcrs.sha256?.[0]?.toString('hex'),
    'f3a7e99a5f819a034386bce753a48a73cfdaa0bea0ecfc124bedbf5a8c4799be',
  );
  t.end();
});

t.test('quote_2024: nonce [1,2,3,4] → QUOTE_NONCE_MISMATCH; reversed signature → QUOTE_SIGNATURE_INVALID', (t) => {
  const quote = azureQuote();
  const ak = parsePublic(akPublic);
  throwsCode(
    t,
    () => verifyTpmEvidence(ak, { akPublic, quotes: [{ pcrBank: 'sha256', ...quote }] }, Buffer.from([1, 2, 3, 4])),
    VerificationError,
    'QUOTE_NONCE_MISMATCH',
  );
  const reversed = marshalSignature({
    kind: 'rsa',
    sigAlg: TPM_ALG.RSASSA,
    hashAlg: TPM_ALG.SHA256,
    sig: Buffer.from(file('quote_2024.sig.bin')).reverse(),
  });
  throwsCode(
    t,
    () =>
      verifyTpmEvidence(ak, { akPublic, quotes: [{ pcrBank: 'sha256', ...quote, signature: reversed }] }, CHALLENGE),
    VerificationError,
    'QUOTE_SIGNATURE_INVALID',
  );
  t.end();
});

t.test('HCL SNP report: report_data[0:32] = SHA-256(runtime claims) = 1d0a466a…, HCLAkPub parsed', (t) => {
  const hcl = parseHclReport(file('hcl-report-snp.bin'));
  t.equal(hcl.type, 'snp');
  t.equal(hcl.hardwareReport.length, 1184);
  t.equal(hcl.runtimeData.length, 583);
  t.equal(
    createHash('sha256').update(hcl.runtimeData).digest('hex'),
    '1d0a466a9eed975e88f889f7aed4abc1c97e87c4f43e5e3478c9a4a5853cbd7d',
  );
  verifyHclBinding(hcl);
  const key = hclAkPublicKey(hcl);
  t.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  t.equal(key.export({ format: 'jwk' }).n?.slice(0, 12), 'tYVBpgABBOed');
  t.same((hcl.runtimeClaims['vm-configuration'] as Record<string, unknown>)['secure-boot'], true);
  t.end();
});

t.test('HCL TDX report: binding e8f07961…, HCLAkPub parsed', (t) => {
  const hcl = parseHclReport(file('hcl-report-tdx.bin'));
  t.equal(hcl.type, 'tdx');
  t.equal(hcl.reportData.subarray(0, 4).toString('hex'), 'e8f07961');
  verifyHclBinding(hcl);
  t.equal(hclAkPublicKey(hcl).export({ format: 'jwk' }).n?.slice(0, 8), 'sgeoFQAB');
  t.end();
});

t.test('attack: runtime claims edited (e.g. AK swapped) → AZURE_HCL_BINDING_MISMATCH', (t) => {
  const bytes = Buffer.from(file('hcl-report-snp.bin'));
  const at = bytes.indexOf('tYVBpg', 1236);
  bytes.write('AAAAAA', at);
  throwsCode(
    t,
    () => {
      verifyHclBinding(parseHclReport(bytes));
    },
    VerificationError,
    'AZURE_HCL_BINDING_MISMATCH',
  );
  t.end();
});

t.test('malformed HCL reports → AZURE_HCL_REPORT_MALFORMED', (t) => {
  const good = file('hcl-report-snp.bin');
  const badMagic = Buffer.from(good);
  badMagic.write('XCLA', 0);
  const hugeVar = Buffer.from(good);
  hugeVar.writeUInt32LE(0xffffffff, 1216 + 16);
  const badType = Buffer.from(good);
  badType.writeUInt32LE(3, 1216 + 8);
  for (const [name, bytes] of [
    ['magic', badMagic],
    ['variable size', hugeVar],
    ['report type', badType],
    ['truncated', good.subarray(0, 1000)],
  ] as const) {
    throwsCode(t, () => parseHclReport(bytes), VerificationError, 'AZURE_HCL_REPORT_MALFORMED', undefined);
    t.comment(name);
  }
  t.end();
});

t.test('verifyAzureVtpm: the quoting AK must be HCLAkPub → AZURE_AK_MISMATCH', async (t) => {
  const quote = azureQuote();
  await rejectsCode(
    t,
    () =>
      verifyAzureVtpm({
        hclReport: file('hcl-report-snp.bin'),
        snp: { signerCertificate: file('certs.pem').toString('utf8') },
        tpm: { akPublic, quotes: [{ pcrBank: 'sha256', ...quote }] },
        expectedQualifyingData: CHALLENGE,
        now: NOW,
      }),
    VerificationError,
    'AZURE_AK_MISMATCH',
  );
});

t.test('verifyAzureVtpm: the SNP report cannot verify with certs.pem (VCEK of another chip)', async (t) => {
  const hcl = parseHclReport(file('hcl-report-snp.bin'));
  const hclAk = marshalPublic(hclAkPublicKey(hcl));
  const pem = file('certs.pem').toString('utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  t.equal(blocks.length, 3, 'VCEK, ASK, ARK');
  try {
    await verifyAzureVtpm({
      hclReport: file('hcl-report-snp.bin'),
      snp: { signerCertificate: blocks[0] ?? '', certificateChain: `${blocks[1] ?? ''}\n${blocks[2] ?? ''}\n` },
      tpm: { akPublic: hclAk, quotes: [] },
      expectedQualifyingData: CHALLENGE,
      now: NOW,
    });
    t.fail('expected the SNP verification to fail');
  } catch (error) {
    t.ok(error instanceof VerificationError, String(error));
    t.match((error as VerificationError).code, /^SNP_/, (error as Error).message);
  }
});

t.test('property: parseHclReport on random and mutated bytes → report or ConstellationError', (t) => {
  const good = file('hcl-report-snp.bin');
  const mutated = fc
    .array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
    .map((flips) => {
      const copy = Buffer.from(good);
      for (const [at, value] of flips) copy[at] = value;
      return copy;
    });
  const truncated = fc.nat(good.length).map((n) => good.subarray(0, n));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), mutated, truncated), (bytes) => {
      try {
        const hcl = parseHclReport(bytes);
        try {
          verifyHclBinding(hcl);
          hclAkPublicKey(hcl);
        } catch (error) {
          return error instanceof ConstellationError;
        }
      } catch (error) {
        return error instanceof ConstellationError;
      }
      return true;
    }),
    { numRuns: 1500 },
  );
  t.pass('1500 inputs');
  t.end();
});

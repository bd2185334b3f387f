import t from 'tap';
import { createHash } from 'node:crypto';
import {
  documentFromGcpAttestation,
  parseAzureVtpmQuote,
  type TpmQuote,
} from '../../../../lib/attestation/document/index.js';
import { parseSignature } from '../../../../lib/tpm/signature.js';
import { documentError } from './document-assert.js';
import { vector } from './document-fixtures.js';

interface GcpExpected {
  ak_pub_tpmt_hex: string;
  quotes: { pcr_bank: string; tpms_attest_hex: string; tpmt_signature_hex: string; pcrs: Record<string, string> }[];
}

t.test('imports both GCE go-tpm-tools attestations field by field', (t) => {
  const expected = JSON.parse(vector('gcp/go-tpm-tools/attestations/decoded_expected.json').toString()) as Record<
    string,
    GcpExpected
  >;
  for (const name of ['gce-cos-85-no-nonce.pb', 'gce-cos-85-nonce9009.pb']) {
    const want = expected[name];
    if (!want) throw new Error(`decoded_expected.json has no entry for ${name}`);
    const doc = documentFromGcpAttestation(vector(`gcp/go-tpm-tools/attestations/${name}`));
    t.equal(doc.variant, 'gcp-vtpm');
    t.equal(doc.tpm?.akPublic.toString('hex'), want.ak_pub_tpmt_hex, `${name}: AK public`);
    t.same(doc.tpm?.akCertificateChain, [vector('gcp/go-tpm-tools/attestations/gce-cos-85.akcert.der')]);
    t.same(doc.tpm?.eventLog, vector('gcp/go-tpm-tools/attestations/gce-cos-85.eventlog.bin'));
    want.quotes.forEach((q, i) => {
      const got: TpmQuote | undefined = doc.tpm?.quotes[i];
      t.equal(got?.pcrBank, q.pcr_bank.toLowerCase(), `${name}: quote ${i} bank`);
      t.equal(got?.attest.toString('hex'), q.tpms_attest_hex);
      t.equal(got?.signature.toString('hex'), q.tpmt_signature_hex);
      t.same(
        Object.fromEntries(Object.entries(got?.pcrs ?? {}).map(([k, v]) => [k, v.toString('hex')])),
        q.pcrs,
        `${name}: quote ${i} PCRs`,
      );
    });
  }
  t.end();
});

t.test('rejects a GCE attestation that is not protobuf', (t) => {
  documentError(t, () => documentFromGcpAttestation(Buffer.from('{"not":"protobuf"}')));
  documentError(t, () => documentFromGcpAttestation(Buffer.alloc(0)));
  t.end();
});

t.test('imports the Azure vTPM quote container', (t) => {
  const azure = parseAzureVtpmQuote(vector('azure/azure-cvm-tooling/quote.bin'));
  t.same(azure.quote.attest, vector('azure/azure-cvm-tooling/quote_2024.tpms_attest.bin'));
  t.same(azure.rawSignature, vector('azure/azure-cvm-tooling/quote_2024.sig.bin'));
  const sig = parseSignature(azure.quote.signature);
  t.equal(sig.kind, 'rsa');
  t.equal(sig.sigAlg, 0x0014);
  t.equal(sig.hashAlg, 0x000b);
  t.equal(Object.keys(azure.quote.pcrs).length, 24);
  const digest = createHash('sha256')
    .update(Buffer.concat(Array.from({ length: 24 }, (_, i) => azure.quote.pcrs[i] ?? Buffer.alloc(0))))
    .digest('hex');
  t.equal(digest, '04fabd988106412e438c1b93ad3b4b046c760f8f99ec557d87adf2ab02b7a4a0', 'PCRs match the signed digest');
  t.end();
});

t.test('rejects truncated or padded Azure containers', (t) => {
  const quote = vector('azure/azure-cvm-tooling/quote.bin');
  documentError(t, () => parseAzureVtpmQuote(quote.subarray(0, quote.length - 1)));
  documentError(t, () => parseAzureVtpmQuote(Buffer.concat([quote, Buffer.from([0])])));
  documentError(t, () => parseAzureVtpmQuote(Buffer.alloc(4)));
  const huge = Buffer.from(quote);
  huge.writeBigUInt64LE(1n << 40n, 0);
  documentError(t, () => parseAzureVtpmQuote(huge));
  t.end();
});

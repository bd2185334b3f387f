// Loads the real TPM quote vectors (test/vectors/, see UPSTREAM-NOTES.md §3-4). A missing file throws,
// which fails the test that asked for it.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { PcrBank, PcrValues } from '../../../lib/tpm/pcr.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

export function vectorFile(path: string): Buffer {
  return readFileSync(VECTORS + path);
}

function json(path: string): unknown {
  return JSON.parse(vectorFile(path).toString('utf8'));
}

function hexRecord(values: Record<string, string>): Record<number, Buffer> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [Number(k), Buffer.from(v, 'hex')]));
}

export interface QuoteVector {
  readonly attest: Buffer;
  readonly signature: Buffer;
  readonly nonce: Buffer;
  readonly pcrs: PcrValues;
}

/** Azure vTPM quote (2024): raw RSA signature and a PKIX AK; PCRs from the upstream container quote.bin. */
export function azureQuote(): QuoteVector & { akPem: Buffer; expectedPcrs: Record<number, Buffer> } {
  const expected = json('azure/azure-cvm-tooling/expected.json') as {
    vtpm_quote_2024: { pcrs_sha256: Record<string, string> };
  };
  // quote.bin: u64-LE length + signature, u64-LE length + TPMS_ATTEST, u64-LE count + count × 32-byte PCRs.
  const container = vectorFile('azure/azure-cvm-tooling/quote.bin');
  let offset = 0;
  const take = (n: number): Buffer => container.subarray(offset, (offset += n));
  const signature = take(Number(take(8).readBigUInt64LE()));
  const attest = take(Number(take(8).readBigUInt64LE()));
  const count = Number(take(8).readBigUInt64LE());
  const sha256: Record<number, Buffer> = {};
  for (let i = 0; i < count; i++) sha256[i] = Buffer.from(take(32));
  return {
    attest,
    signature,
    nonce: Buffer.from('challenge'),
    pcrs: { sha256 },
    akPem: vectorFile('azure/azure-cvm-tooling/akpub.pem'),
    expectedPcrs: hexRecord(expected.vtpm_quote_2024.pcrs_sha256),
  };
}

export function azureAkKey(): ReturnType<typeof createPublicKey> {
  return createPublicKey(vectorFile('azure/azure-cvm-tooling/akpub.pem'));
}

interface GcpJson {
  readonly ak_pub_tpmt_hex: string;
  readonly ak: { readonly name: string };
  readonly quotes: readonly {
    readonly pcr_bank: string;
    readonly tpms_attest_hex: string;
    readonly tpmt_signature_hex: string;
    readonly extraData_hex: string;
    readonly pcrDigest_hex: string;
    readonly pcrs: Record<string, string>;
  }[];
}

/** GCE COS-85 attestation: RSA AK TPMT_PUBLIC and three quotes (sha1, sha256, sha384 banks). */
export function gcpAttestation(file: 'gce-cos-85-nonce9009.pb' | 'gce-cos-85-no-nonce.pb'): {
  akPublic: Buffer;
  akName: Buffer;
  quotes: (QuoteVector & { bank: PcrBank; pcrDigest: Buffer })[];
} {
  const all = json('gcp/go-tpm-tools/attestations/decoded_expected.json') as Record<string, GcpJson>;
  const entry = all[file];
  if (entry === undefined) throw new Error(`decoded_expected.json has no entry ${file}`);
  return {
    akPublic: Buffer.from(entry.ak_pub_tpmt_hex, 'hex'),
    akName: Buffer.from(entry.ak.name, 'hex'),
    quotes: entry.quotes.map((q) => {
      const bank = q.pcr_bank.toLowerCase() as PcrBank;
      return {
        bank,
        attest: Buffer.from(q.tpms_attest_hex, 'hex'),
        signature: Buffer.from(q.tpmt_signature_hex, 'hex'),
        nonce: Buffer.from(q.extraData_hex, 'hex'),
        pcrDigest: Buffer.from(q.pcrDigest_hex, 'hex'),
        pcrs: { [bank]: hexRecord(q.pcrs) },
      };
    }),
  };
}

/** go-attestation windows_gcp_shielded_vm.json: RSA AK with an RSASSA-SHA1 scheme, SHA-1 bank quote. */
export function windowsQuote(): QuoteVector & {
  akPublic: Buffer;
  akName: Buffer;
  qualifiedSigner: Buffer;
  /** TPM2_Create's creation attestation (TPM_ST_ATTEST_CREATION), signed by the same AK. */
  creationAttest: Buffer;
  creationSignature: Buffer;
} {
  const dump = json('tpm/go-attestation/windows_gcp_shielded_vm.json') as {
    AK: { Public: string; CreateAttestation: string; CreateSignature: string };
    Quote: { Nonce: string; Quote: string; Signature: string };
  };
  const expected = json('tpm/go-attestation/expected.json') as Record<
    string,
    { ak: { name: string }; quote: { qualifiedSigner: string }; pcrs_sha1: Record<string, string> }
  >;
  const facts = expected['windows_gcp_shielded_vm.json'];
  if (facts === undefined) throw new Error('expected.json has no windows_gcp_shielded_vm.json entry');
  return {
    akPublic: Buffer.from(dump.AK.Public, 'base64'),
    akName: Buffer.from(facts.ak.name, 'hex'),
    qualifiedSigner: Buffer.from(facts.quote.qualifiedSigner, 'hex'),
    attest: Buffer.from(dump.Quote.Quote, 'base64'),
    signature: Buffer.from(dump.Quote.Signature, 'base64'),
    nonce: Buffer.from(dump.Quote.Nonce, 'base64'),
    pcrs: { sha1: hexRecord(facts.pcrs_sha1) },
    creationAttest: Buffer.from(dump.AK.CreateAttestation, 'base64'),
    creationSignature: Buffer.from(dump.AK.CreateSignature, 'base64'),
  };
}

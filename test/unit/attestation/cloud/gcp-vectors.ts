// Loads the recorded GCE COS-85 attestation (go-tpm-tools) as TpmEvidence. A missing file throws, so a
// test using it fails rather than skips.
import { readFileSync } from 'node:fs';
import type { PcrBank } from '../../../../lib/tpm/pcr.js';
import type { TpmEvidence } from '../../../../lib/attestation/verify/tpm-evidence.js';

export const GCP_DIR = new URL('../../../vectors/gcp/go-tpm-tools/', import.meta.url);
/** A time at which every GCP certificate in the vectors is valid. */
export const GCP_NOW = new Date('2024-01-01T00:00:00Z');

interface DecodedQuote {
  pcr_bank: string;
  tpms_attest_hex: string;
  tpmt_signature_hex: string;
  pcrs: Record<string, string>;
}
interface DecodedAttestation {
  ak_pub_tpmt_hex: string;
  quotes: DecodedQuote[];
}

export function gcpFile(path: string): Buffer {
  return readFileSync(new URL(path, GCP_DIR));
}

export function gcpEvidence(which: 'gce-cos-85-nonce9009.pb' | 'gce-cos-85-no-nonce.pb'): TpmEvidence {
  const decoded = JSON.parse(gcpFile('attestations/decoded_expected.json').toString('utf8')) as Record<
    string,
    DecodedAttestation
  >;
  const attestation = decoded[which];
  if (attestation === undefined) throw new Error(`${which} missing from decoded_expected.json`);
  return {
    akPublic: Buffer.from(attestation.ak_pub_tpmt_hex, 'hex'),
    quotes: attestation.quotes.map((quote) => ({
      pcrBank: quote.pcr_bank.toLowerCase() as PcrBank,
      attest: Buffer.from(quote.tpms_attest_hex, 'hex'),
      signature: Buffer.from(quote.tpmt_signature_hex, 'hex'),
      pcrs: Object.fromEntries(Object.entries(quote.pcrs).map(([k, v]) => [Number(k), Buffer.from(v, 'hex')])),
    })),
    eventLog: gcpFile('attestations/gce-cos-85.eventlog.bin'),
    akCertificateChain: [gcpFile('attestations/gce-cos-85.akcert.der')],
  };
}

export const NONCE_9009 = Buffer.from([0x90, 0x09]);

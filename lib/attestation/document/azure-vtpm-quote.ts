// Imports an Azure CVM vTPM quote container (azure-cvm-tooling `az-cvm-vtpm` bincode layout) as TPM evidence:
//   u64-LE length + raw RSA signature, u64-LE length + TPMS_ATTEST, u64-LE count + count x 32-byte SHA-256 PCRs.
// The raw signature is RSASSA-PKCS1-v1_5/SHA-256 by the vTPM AK; it is wrapped as a TPMT_SIGNATURE here.
import { describeValue } from '../../errors.js';
import { PCR_COUNT } from '../../tpm/pcr.js';
import { marshalSignature } from '../../tpm/signature-marshal.js';
import { TPM_ALG } from '../../tpm/tpm-constants.js';
import type { TpmQuote } from './attestation-document.js';
import { DOCUMENT_LIMITS } from './document-limits.js';
import { DocumentInvalidError } from './document-error.js';

export interface AzureVtpmQuote {
  readonly quote: TpmQuote;
  /** The signature as it was in the container (no TPMT_SIGNATURE header). */
  readonly rawSignature: Buffer;
}

export function parseAzureVtpmQuote(bytes: Uint8Array): AzureVtpmQuote {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const length = (what: string, max: number): number => {
    if (pos + 8 > buf.length) throw azureInvalid(`a u64 length of ${what} at offset ${pos}`, 'end of data');
    const n = buf.readBigUInt64LE(pos);
    pos += 8;
    if (n > BigInt(max)) throw azureInvalid(`${what} of at most ${max}`, n.toString());
    return Number(n);
  };
  const take = (n: number, what: string): Buffer => {
    if (pos + n > buf.length) throw azureInvalid(`${n} bytes of ${what} at offset ${pos}`, `${buf.length - pos}`);
    const out = Buffer.from(buf.subarray(pos, pos + n));
    pos += n;
    return out;
  };
  const rawSignature = take(length('signature bytes', DOCUMENT_LIMITS.quoteSignature), 'signature');
  const attest = take(length('TPMS_ATTEST bytes', DOCUMENT_LIMITS.quoteAttest), 'TPMS_ATTEST');
  const count = length('PCR values', PCR_COUNT);
  const pcrs: Record<number, Buffer> = {};
  for (let i = 0; i < count; i++) pcrs[i] = take(32, `PCR ${i}`);
  if (pos !== buf.length) throw azureInvalid('nothing after the PCR values', `${buf.length - pos} more bytes`);
  if (rawSignature.length === 0) throw azureInvalid('a non-empty signature', describeValue(rawSignature));
  const signature = marshalSignature({
    kind: 'rsa',
    sigAlg: TPM_ALG.RSASSA,
    hashAlg: TPM_ALG.SHA256,
    sig: rawSignature,
  });
  return { quote: { pcrBank: 'sha256', attest, signature, pcrs }, rawSignature };
}

function azureInvalid(expected: string, received: string): DocumentInvalidError {
  return new DocumentInvalidError([{ field: '(azure quote)', expected, received }]);
}

// Imports a go-tpm-tools `attest.Attestation` (GCE Shielded/Confidential VM vTPM evidence, protobuf) as our
// document, variant `gcp-vtpm`. Hand-decoded: only the fields we carry are read, the rest is skipped.
//   Attestation { bytes ak_pub = 1; repeated Quote quotes = 2; bytes event_log = 3; bytes ak_cert = 6;
//                 repeated bytes intermediate_certs = 7; ... }
//   Quote { bytes quote = 1 (TPMS_ATTEST); bytes raw_sig = 2 (TPMT_SIGNATURE); PCRs pcrs = 3 }
//   PCRs { HashAlgo hash = 1 (TPM_ALG_ID); map<uint32, bytes> pcrs = 2 }
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { describeValue } from '../../errors.js';
import { pcrBankForAlg } from '../../tpm/pcr.js';
import type * as pb from '../../../proto/gen/attestation.js';
import type { AttestationDocument } from './attestation-document.js';
import { DOCUMENT_LIMITS } from './document-limits.js';
import { DocumentInvalidError } from './document-error.js';
import { validateDocumentMessage } from './document-validation.js';

export function documentFromGcpAttestation(bytes: Uint8Array): AttestationDocument {
  if (bytes.length === 0 || bytes.length > DOCUMENT_LIMITS.document) {
    throw gcpInvalid(`a go-tpm-tools Attestation of 1 to ${DOCUMENT_LIMITS.document} bytes`, describeValue(bytes));
  }
  let tpm: pb.TpmEvidence;
  try {
    tpm = readAttestation(new BinaryReader(bytes));
  } catch (cause) {
    if (cause instanceof DocumentInvalidError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw gcpInvalid('a well-formed go-tpm-tools Attestation protobuf', `bytes that do not decode (${reason})`, cause);
  }
  return validateDocumentMessage({ version: 1, variant: 'gcp-vtpm', tpm });
}

function readAttestation(r: BinaryReader): pb.TpmEvidence {
  const tpm: pb.TpmEvidence = {
    akPublic: Buffer.alloc(0),
    quotes: [],
    eventLog: Buffer.alloc(0),
    ekCertificate: Buffer.alloc(0),
    akCertificateChain: [],
  };
  let akCert: Buffer | undefined;
  const intermediates: Buffer[] = [];
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire === WireType.LengthDelimited && field === 1) tpm.akPublic = Buffer.from(r.bytes());
    else if (wire === WireType.LengthDelimited && field === 2) {
      if (tpm.quotes.length >= DOCUMENT_LIMITS.quotes)
        throw gcpInvalid(`at most ${DOCUMENT_LIMITS.quotes} quotes`, 'more');
      tpm.quotes.push(readQuote(new BinaryReader(r.bytes())));
    } else if (wire === WireType.LengthDelimited && field === 3) tpm.eventLog = Buffer.from(r.bytes());
    else if (wire === WireType.LengthDelimited && field === 6) akCert = Buffer.from(r.bytes());
    else if (wire === WireType.LengthDelimited && field === 7) intermediates.push(Buffer.from(r.bytes()));
    else r.skip(wire, field);
  }
  tpm.akCertificateChain = akCert === undefined ? [] : [akCert, ...intermediates];
  return tpm;
}

function readQuote(r: BinaryReader): pb.TpmQuote {
  const quote: pb.TpmQuote = { pcrBank: '', attest: Buffer.alloc(0), signature: Buffer.alloc(0), pcrs: {} };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire === WireType.LengthDelimited && field === 1) quote.attest = Buffer.from(r.bytes());
    else if (wire === WireType.LengthDelimited && field === 2) quote.signature = Buffer.from(r.bytes());
    else if (wire === WireType.LengthDelimited && field === 3) readPcrs(new BinaryReader(r.bytes()), quote);
    else r.skip(wire, field);
  }
  return quote;
}

function readPcrs(r: BinaryReader, quote: pb.TpmQuote): void {
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire === WireType.Varint && field === 1) {
      const alg = r.uint32();
      // An unknown algorithm keeps its number, so the document error names it.
      quote.pcrBank = pcrBankForAlg(alg) ?? `TPM_ALG 0x${alg.toString(16)}`;
    } else if (wire === WireType.LengthDelimited && field === 2) {
      const entry = new BinaryReader(r.bytes());
      let index = 0;
      let value = Buffer.alloc(0);
      while (entry.pos < entry.len) {
        const [f, w] = entry.tag();
        if (w === WireType.Varint && f === 1) index = entry.uint32();
        else if (w === WireType.LengthDelimited && f === 2) value = Buffer.from(entry.bytes());
        else entry.skip(w, f);
      }
      quote.pcrs[index] = value;
    } else r.skip(wire, field);
  }
}

function gcpInvalid(expected: string, received: string, cause?: unknown): DocumentInvalidError {
  return new DocumentInvalidError([{ field: '(gcp attestation)', expected, received }], { cause });
}

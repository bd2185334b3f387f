// Protobuf encoding of the attestation document (proto/attestation.proto), validated on the way in.
import { BinaryReader } from '@bufbuild/protobuf/wire';
import * as pb from '../../../proto/gen/attestation.js';
import type { AttestationDocument } from './attestation-document.js';
import { DOCUMENT_LIMITS } from './document-limits.js';
import { DocumentInvalidError } from './document-error.js';
import { validateDocumentMessage } from './document-validation.js';
import { describeValue } from '../../errors.js';

/** Encodes a validated document as protobuf bytes. */
export function encodeDocument(doc: AttestationDocument): Buffer {
  return Buffer.from(pb.AttestationDocument.encode(documentToMessage(doc)).finish());
}

/** Decodes and validates protobuf bytes; throws InputError('DOCUMENT_INVALID') naming the bad field(s). */
export function decodeDocument(bytes: Uint8Array): AttestationDocument {
  if (bytes.length === 0 || bytes.length > DOCUMENT_LIMITS.document) {
    throw new DocumentInvalidError([
      {
        field: '(document)',
        expected: `a protobuf AttestationDocument of 1 to ${DOCUMENT_LIMITS.document} bytes`,
        received: describeValue(bytes),
      },
    ]);
  }
  let message: pb.AttestationDocument;
  try {
    const reader = new BinaryReader(bytes);
    message = pb.AttestationDocument.decode(reader);
    // The generated decoder stops early at an end-group or zero tag; anything after that is not ours.
    if (reader.pos !== reader.len) throw new Error(`${reader.len - reader.pos} bytes after the message`);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DocumentInvalidError(
      [{ field: '(document)', expected: 'well-formed protobuf', received: `bytes that do not decode (${reason})` }],
      { cause },
    );
  }
  return validateDocumentMessage(message);
}

/** The protobuf message for a validated document (absent optional bytes become empty). */
export function documentToMessage(doc: AttestationDocument): pb.AttestationDocument {
  const empty = Buffer.alloc(0);
  const message: pb.AttestationDocument = {
    version: doc.version,
    variant: doc.variant,
    tpm: undefined,
  };
  if (doc.tpm !== undefined) {
    const tpm = doc.tpm;
    message.tpm = {
      akPublic: tpm.akPublic,
      quotes: tpm.quotes.map((q) => ({
        pcrBank: q.pcrBank,
        attest: q.attest,
        signature: q.signature,
        pcrs: { ...q.pcrs },
      })),
      eventLog: tpm.eventLog ?? empty,
      ekCertificate: tpm.ekCertificate ?? empty,
      akCertificateChain: [...tpm.akCertificateChain],
    };
  }
  const tee = doc.tee;
  if (tee?.kind === 'snp') {
    message.snp = {
      report: tee.report ?? empty,
      signerCertificate: tee.signerCertificate ?? empty,
      certificateChain: tee.certificateChain ?? empty,
      hclReport: tee.hclReport ?? empty,
    };
  } else if (tee?.kind === 'tdx') {
    const c = tee.collateral;
    message.tdx = {
      quote: tee.quote,
      collateral:
        c === undefined
          ? undefined
          : {
              tcbInfo: c.tcbInfo,
              tcbInfoIssuerChain: c.tcbInfoIssuerChain,
              qeIdentity: c.qeIdentity,
              qeIdentityIssuerChain: c.qeIdentityIssuerChain,
              pckCrl: c.pckCrl,
              pckCrlIssuerChain: c.pckCrlIssuerChain ?? empty,
              rootCrl: c.rootCrl,
            },
      ccEventLog: tee.ccEventLog ?? empty,
      ccelTable: tee.ccelTable ?? empty,
      hclReport: tee.hclReport ?? empty,
    };
  }
  return message;
}

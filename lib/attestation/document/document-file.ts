// Reads a stored document in either encoding: JSON when the first non-blank byte is `{`, protobuf otherwise.
// (A protobuf AttestationDocument never starts with 0x7b: that would be field 15 with a group wire type.)
import type { AttestationDocument } from './attestation-document.js';
import { decodeDocument } from './document-codec.js';
import { documentFromJsonText } from './document-json.js';

export type DocumentEncoding = 'protobuf' | 'json';

export function detectDocumentEncoding(bytes: Uint8Array): DocumentEncoding {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b ? 'json' : 'protobuf';
  }
  return 'protobuf';
}

export function parseDocument(bytes: Uint8Array): { document: AttestationDocument; encoding: DocumentEncoding } {
  const encoding = detectDocumentEncoding(bytes);
  const document =
    encoding === 'json' ? documentFromJsonText(Buffer.from(bytes).toString('utf8')) : decodeDocument(bytes);
  return { document, encoding };
}

// Edge validation of join requests: shapes and sizes before any cryptography runs.
import { createPublicKey, ECDH, type KeyObject } from 'node:crypto';
import { InputError } from '../../lib/errors.js';
import type { IssueJoinTicketRequest } from '../../proto/gen/join.js';
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';

export const JOIN_REQUEST_INVALID = 'JOIN_REQUEST_INVALID';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// RFC 1123 subdomain, as Kubernetes requires for node names.
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_CERTIFICATE_REQUEST_BYTES = 16 * 1024;
export const MAX_EK_CERTIFICATE_BYTES = 8 * 1024;
export const MAX_AK_PUBLIC_BYTES = 1024;

function invalid(message: string): InputError {
  return new InputError(JOIN_REQUEST_INVALID, message);
}

export function checkBytes(name: string, value: Buffer, min: number, max: number): void {
  if (value.length < min || value.length > max) {
    throw invalid(`${name} expected ${min}-${max} bytes, got ${value.length}`);
  }
}

export interface CheckedJoinRequest {
  readonly evidence: AttestationDocument;
  readonly ekCertificate: Buffer;
  readonly akPublic: Buffer;
  readonly diskUuid: string;
}

export function checkJoinRequest(request: IssueJoinTicketRequest): CheckedJoinRequest {
  checkBytes('challenge_id', request.challengeId, 1, 256);
  checkBytes('activated_secret', request.activatedSecret, 16, 64);
  const diskUuid = request.diskUuid.toLowerCase();
  if (!UUID.test(diskUuid))
    throw invalid(`disk_uuid expected a UUID, got ${JSON.stringify(request.diskUuid.slice(0, 64))}`);
  if (request.nodeName.length > 253 || !NODE_NAME.test(request.nodeName)) {
    throw invalid(`node_name expected an RFC 1123 name, got ${JSON.stringify(request.nodeName.slice(0, 64))}`);
  }
  checkBytes('certificate_request', request.certificateRequest, 0, MAX_CERTIFICATE_REQUEST_BYTES);
  nodeKeyOf(request.nodePublicKey);
  if (request.evidence === undefined) throw invalid('evidence expected an attestation document, got none');
  const evidence = validateDocumentMessage(request.evidence);
  if (evidence.tpm === undefined) throw invalid('evidence expected TPM evidence, got none');
  const ekCertificate = evidence.tpm.ekCertificate ?? Buffer.alloc(0);
  checkBytes('evidence.tpm.ek_certificate', ekCertificate, 1, MAX_EK_CERTIFICATE_BYTES);
  checkBytes('evidence.tpm.ak_public', evidence.tpm.akPublic, 1, MAX_AK_PUBLIC_BYTES);
  return {
    evidence,
    ekCertificate,
    akPublic: evidence.tpm.akPublic,
    diskUuid,
  };
}

/** DER SubjectPublicKeyInfo prefix of a P-256 key (id-ecPublicKey, prime256v1, uncompressed point follows). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_SPKI_BYTES = P256_SPKI_PREFIX.length + 65;

/**
 * The node's ECDH key must be P-256: the ticket is sealed to it. The canonical encoding (what KeyObject.export
 * gives) is checked byte for byte and its point for being on the curve (ECDH.convertKey decodes and validates
 * it in ~20 µs, where createPublicKey takes ~160 µs in OpenSSL 3); any other encoding is parsed in full.
 */
function nodeKeyOf(spki: Buffer): void {
  checkBytes('node_public_key', spki, 1, 256);
  if (spki.length === P256_SPKI_BYTES && spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) {
    try {
      ECDH.convertKey(spki.subarray(P256_SPKI_PREFIX.length), 'prime256v1', undefined, undefined, 'uncompressed');
      return;
    } catch {
      throw invalid('node_public_key expected a point on P-256, got one that is not');
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw invalid(
      `node_public_key expected a P-256 SubjectPublicKeyInfo (DER), got ${spki.length} bytes that do not parse`,
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw invalid(
      `node_public_key expected a P-256 key, got ${key.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trim(),
    );
  }
}

// The digest a joining node binds its evidence to: it covers every field the JoinService acts on, so a
// relay that swaps the node key (to receive the sealed ticket) or the disk UUID breaks the quote's binding.
import { createHash } from 'node:crypto';

export const JOIN_REQUEST_DOMAIN = 'constellation-join-request-v1';

export interface JoinRequestFields {
  /** Node's ephemeral P-256 ECDH public key, SPKI DER. */
  readonly nodePublicKey: Uint8Array;
  readonly diskUuid: string;
  readonly nodeName: string;
  readonly certificateRequest: Uint8Array;
}

function lengthPrefixed(value: Uint8Array): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return [length, Buffer.from(value)];
}

/**
 * SHA-256(domain ‖ len ‖ node key ‖ len ‖ disk UUID ‖ len ‖ node name ‖ len ‖ CSR). Every field is
 * length-prefixed so no two requests share a digest by re-splitting bytes between fields.
 */
export function joinRequestDigest(fields: JoinRequestFields): Buffer {
  const hash = createHash('sha256').update(JOIN_REQUEST_DOMAIN);
  for (const part of [
    fields.nodePublicKey,
    Buffer.from(fields.diskUuid.toLowerCase(), 'utf8'),
    Buffer.from(fields.nodeName, 'utf8'),
    fields.certificateRequest,
  ]) {
    for (const chunk of lengthPrefixed(part)) hash.update(chunk);
  }
  return hash.digest();
}

/** SHA-256(EK certificate ‖ AK public): the challenge context, so a challenge only redeems for that pair. */
export function challengeContext(ekCertificate: Uint8Array, akPublic: Uint8Array): Buffer {
  const hash = createHash('sha256');
  for (const chunk of [...lengthPrefixed(ekCertificate), ...lengthPrefixed(akPublic)]) hash.update(chunk);
  return hash.digest();
}

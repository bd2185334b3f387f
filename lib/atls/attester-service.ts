// Server side of the Attest RPC: evidence for the caller's nonce, bound to this server's TLS key.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import { documentToMessage } from '../attestation/document/document-codec.js';
import { invalidArgument } from '../errors.js';
import type { AttestRequest, AttestResponse, AttesterServer } from '../../proto/gen/atls.js';
import { unaryHandler, type HandlerErrorObserver } from '../rpc/unary-handler.js';
import type { AttestedIdentity } from './attested-identity.js';

export const MIN_ATTEST_NONCE = 16;
export const MAX_ATTEST_NONCE = 64;

/** Produces evidence whose binding is computeBinding(nonce, binding). */
export type EvidenceIssuer = (nonce: Buffer, binding: Buffer) => Promise<AttestationDocument>;

/** Handlers for constellation.atls.v1.Attester: `server.addService(AttesterService, attesterService(…))`. */
export function attesterService(
  issue: EvidenceIssuer,
  identity: Pick<AttestedIdentity, 'spki'>,
  onError?: HandlerErrorObserver,
): AttesterServer {
  const attest: (
    call: ServerUnaryCall<AttestRequest, AttestResponse>,
    callback: sendUnaryData<AttestResponse>,
  ) => void = unaryHandler(async (request: AttestRequest) => {
    const nonce = Buffer.from(request.nonce);
    if (nonce.length < MIN_ATTEST_NONCE || nonce.length > MAX_ATTEST_NONCE) {
      throw invalidArgument('nonce', `${MIN_ATTEST_NONCE} to ${MAX_ATTEST_NONCE} random bytes`, nonce);
    }
    const document = await issue(nonce, identity.spki);
    return { document: documentToMessage(document) };
  }, onError);
  return { attest };
}

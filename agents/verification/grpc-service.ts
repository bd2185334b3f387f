// VerificationService.GetAttestation over gRPC: nonce checked, request admitted by the limiter, document issued by
// the node's TPM. Errors go through lib/rpc's one mapping, except RATE_LIMITED which is RESOURCE_EXHAUSTED here.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { documentToMessage } from '../../lib/attestation/document/document-codec.js';
import { toServiceError } from '../../lib/rpc/unary-handler.js';
import {
  VerificationServiceService,
  type GetAttestationRequest,
  type GetAttestationResponse,
  type VerificationServiceServer,
} from '../../proto/gen/verify.js';
import type { AttestationSource } from './attestation-source.js';
import { clientAddress } from './client-address.js';
import { checkNonce } from './purpose.js';
import type { RequestLimiter } from './request-limiter.js';

export { VerificationServiceService };

export interface ServiceDependencies {
  readonly source: Pick<AttestationSource, 'attest'>;
  readonly limiter: RequestLimiter;
  /** Told about every failed request (the agent's logger); never given the nonce. */
  readonly onError?: (error: unknown, client: string) => void;
}

export function verificationServer(deps: ServiceDependencies): VerificationServiceServer {
  return {
    getAttestation(
      call: ServerUnaryCall<GetAttestationRequest, GetAttestationResponse>,
      callback: sendUnaryData<GetAttestationResponse>,
    ): void {
      const client = clientAddress(call.getPeer());
      const run = async (): Promise<GetAttestationResponse> => {
        const nonce = checkNonce(call.request.nonce);
        const release = deps.limiter.acquire(client);
        try {
          return { document: documentToMessage(await deps.source.attest(nonce)) };
        } finally {
          release();
        }
      };
      run().then(
        (response) => {
          callback(null, response);
        },
        (error: unknown) => {
          deps.onError?.(error, client);
          callback(toServiceError(error));
        },
      );
    },
  };
}

// VerificationService over gRPC. GetAttestation: nonce checked, request admitted by the limiter, document issued by
// the node's TPM. ActivateCredential: sizes checked, admitted by the same limiter (each call is TPM work too), the
// TPM activates for the AK that signs GetAttestation documents only; a credential the TPM refuses (made for another
// AK name or EK) is INVALID_ARGUMENT CREDENTIAL_NOT_ACTIVATED. Errors go through lib/rpc's one mapping.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { activateWithin, MAX_CREDENTIAL_BLOB, MAX_ENCRYPTED_SECRET } from '../../lib/atls/attester-service.js';
import { documentToMessage } from '../../lib/attestation/document/document-codec.js';
import { invalidArgument } from '../../lib/errors.js';
import { toServiceError } from '../../lib/rpc/unary-handler.js';
import {
  VerificationServiceService,
  type ActivateCredentialRequest,
  type ActivateCredentialResponse,
  type GetAttestationRequest,
  type GetAttestationResponse,
  type VerificationServiceServer,
} from '../../proto/gen/verify.js';
import type { AttestationSource } from './attestation-source.js';
import { clientAddress } from '../../lib/rpc/client-address.js';
import { checkNonce } from './purpose.js';
import type { RequestLimiter } from './request-limiter.js';

export { VerificationServiceService };

export interface ServiceDependencies {
  readonly source: Pick<AttestationSource, 'attest' | 'activate'>;
  readonly limiter: RequestLimiter;
  /** Told about every failed request (the agent's logger); never given the nonce. */
  readonly onError?: (error: unknown, client: string) => void;
}

function checkBytes(name: string, value: unknown, max: number): Buffer {
  if (!(value instanceof Uint8Array) || value.length < 1 || value.length > max) {
    throw invalidArgument(name, `1 to ${max} bytes`, value);
  }
  return Buffer.from(value);
}

/** Runs `work` for `client` under the limiter and answers through `callback`, errors mapped once. */
function answer<T>(
  deps: ServiceDependencies,
  client: string,
  work: () => Promise<T>,
  callback: (error: ReturnType<typeof toServiceError> | null, response?: T) => void,
): void {
  work().then(
    (response) => {
      callback(null, response);
    },
    (error: unknown) => {
      deps.onError?.(error, client);
      callback(toServiceError(error));
    },
  );
}

export function verificationServer(deps: ServiceDependencies): VerificationServiceServer {
  return {
    activateCredential(
      call: ServerUnaryCall<ActivateCredentialRequest, ActivateCredentialResponse>,
      callback: sendUnaryData<ActivateCredentialResponse>,
    ): void {
      const client = clientAddress(call.getPeer());
      const run = async (): Promise<ActivateCredentialResponse> => {
        // Shapes first: a malformed request costs no budget and no TPM time.
        const blob = checkBytes('credential_blob', call.request.credentialBlob, MAX_CREDENTIAL_BLOB);
        const encrypted = checkBytes('encrypted_secret', call.request.encryptedSecret, MAX_ENCRYPTED_SECRET);
        const secret = await activateWithin(
          deps.limiter,
          client,
          (b, e) => deps.source.activate(b, e),
          blob,
          encrypted,
          'node',
        );
        return { secret };
      };
      answer(deps, client, run, callback);
    },

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
      answer(deps, client, run, callback);
    },
  };
}

// The aTLS Attester on the verification agent's TLS listener (lib/atls attesterService: evidence bound to the
// caller's nonce and this process's TLS key; ActivateCredential for the attesting AK under lib/atls's per-peer
// activation budget). Attest shares the per-client budget of GetAttestation: every Attest costs a TPM quote too.
// A malformed nonce goes straight to the inner handler's check and costs no budget.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { attesterService } from '../../lib/atls/attester-service.js';
import type { AttestedIdentity } from '../../lib/atls/attested-identity.js';
import type { AttestRequest, AttestResponse, AttesterServer } from '../../proto/gen/atls.js';
import type { AttestationSource } from './attestation-source.js';
import { clientAddress } from '../../lib/rpc/client-address.js';
import type { ServiceDependencies } from './grpc-service.js';
import { MAX_NONCE_BYTES, MIN_NONCE_BYTES } from './purpose.js';
import { toServiceError } from '../../lib/rpc/unary-handler.js';

export interface AttesterDependencies extends Omit<ServiceDependencies, 'source'> {
  /** Without `activate`, ActivateCredential answers UNIMPLEMENTED. */
  readonly source: Pick<AttestationSource, 'attestBound'> & Partial<Pick<AttestationSource, 'activate'>>;
}

export function limitedAttester(deps: AttesterDependencies, identity: Pick<AttestedIdentity, 'spki'>): AttesterServer {
  const { activate } = deps.source;
  const inner = attesterService((nonce, binding) => deps.source.attestBound(nonce, binding), identity, {
    ...(activate === undefined ? {} : { activate: (blob, secret) => activate(blob, secret) }),
  });
  return {
    attest(call: ServerUnaryCall<AttestRequest, AttestResponse>, callback: sendUnaryData<AttestResponse>): void {
      const client = clientAddress(call.getPeer());
      const length = call.request.nonce.length;
      if (length < MIN_NONCE_BYTES || length > MAX_NONCE_BYTES) {
        inner.attest(call, callback);
        return;
      }
      let release: () => void;
      try {
        release = deps.limiter.acquire(client);
      } catch (error) {
        deps.onError?.(error, client);
        callback(toServiceError(error));
        return;
      }
      inner.attest(call, (...answer: Parameters<sendUnaryData<AttestResponse>>) => {
        release();
        callback(...answer);
      });
    },
    activateCredential: inner.activateCredential,
  };
}

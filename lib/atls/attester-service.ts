// Server side of the Attester service: Attest (evidence for the caller's nonce, bound to this server's TLS
// key) and ActivateCredential (proves the attesting AK lives in the TPM of the certified EK: only that TPM
// can recover a secret the caller wrapped to the EK for that AK's name).
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { AttestationDocument } from '../attestation/document/attestation-document.js';
import { documentToMessage } from '../attestation/document/document-codec.js';
import { InputError, invalidArgument, TpmError } from '../errors.js';
import type {
  ActivateCredentialRequest,
  ActivateCredentialResponse,
  AttestRequest,
  AttestResponse,
  AttesterServer,
} from '../../proto/gen/atls.js';
import { unaryHandler, type HandlerErrorObserver } from '../rpc/unary-handler.js';
import { clientAddress } from '../rpc/client-address.js';
import { ActivationLimiter } from './activation-limiter.js';
import type { AttestedIdentity } from './attested-identity.js';

export const MIN_ATTEST_NONCE = 16;
export const MAX_ATTEST_NONCE = 64;
/** TPM2B_ID_OBJECT contents: two TPM2B_DIGEST of at most SHA-512 size. */
export const MAX_CREDENTIAL_BLOB = 132;
/** TPM2B_ENCRYPTED_SECRET contents: RSA-4096 ciphertext at most. */
export const MAX_ENCRYPTED_SECRET = 512;

/** Produces evidence whose binding is computeBinding(nonce, binding). */
export type EvidenceIssuer = (nonce: Buffer, binding: Buffer) => Promise<AttestationDocument>;

/**
 * TPM2_ActivateCredential with the server's EK and the AK its evidence is quoted by (never another key),
 * e.g. `(blob, secret) => tpm.activateCredential(ak, ek, blob, secret)`.
 */
export type CredentialActivator = (credentialBlob: Buffer, encryptedSecret: Buffer) => Promise<Buffer>;

export interface AttesterOptions {
  /** Without it ActivateCredential answers UNIMPLEMENTED and verifiers that demand the AK proof refuse. */
  readonly activate?: CredentialActivator;
  /** Per-peer budget for activations; default DEFAULT_ACTIVATION_LIMITS. */
  readonly limiter?: ActivationLimiter;
  readonly onError?: HandlerErrorObserver;
}

export const CREDENTIAL_NOT_ACTIVATED = 'CREDENTIAL_NOT_ACTIVATED';

function checkBytes(name: string, value: Uint8Array, max: number): Buffer {
  if (value.length < 1 || value.length > max) throw invalidArgument(name, `1 to ${max} bytes`, Buffer.from(value));
  return Buffer.from(value);
}

/** Handlers for constellation.atls.v1.Attester: `server.addService(AttesterService, attesterService(…))`. */
export function attesterService(
  issue: EvidenceIssuer,
  identity: Pick<AttestedIdentity, 'spki'>,
  options: AttesterOptions = {},
): AttesterServer {
  const { activate, onError } = options;
  const limiter = options.limiter ?? new ActivationLimiter();
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

  type ActivateHandler = (
    call: ServerUnaryCall<ActivateCredentialRequest, ActivateCredentialResponse>,
    callback: sendUnaryData<ActivateCredentialResponse>,
  ) => void;
  const unimplemented: ActivateHandler = (_call, callback) => {
    callback({ code: status.UNIMPLEMENTED, details: 'ActivateCredential is not offered by this server' });
  };
  const activateCredential: ActivateHandler =
    activate === undefined ? unimplemented : unaryHandler(activationOf(activate, limiter), onError);
  return { attest, activateCredential };
}

function activationOf(
  activate: CredentialActivator,
  limiter: ActivationLimiter,
): (
  request: ActivateCredentialRequest,
  call: ServerUnaryCall<ActivateCredentialRequest, ActivateCredentialResponse>,
) => Promise<ActivateCredentialResponse> {
  return async (request, call) => {
    const blob = checkBytes('credential_blob', request.credentialBlob, MAX_CREDENTIAL_BLOB);
    const encrypted = checkBytes('encrypted_secret', request.encryptedSecret, MAX_ENCRYPTED_SECRET);
    // Shapes first: a malformed request costs no budget and no TPM time.
    return {
      secret: await activateWithin(limiter, clientAddress(call.getPeer()), activate, blob, encrypted, 'server'),
    };
  };
}

/**
 * Runs one activation inside the caller's budget. The TPM refuses a credential made for another AK name or EK
 * (integrity check): that is the caller's doing, INVALID_ARGUMENT CREDENTIAL_NOT_ACTIVATED naming `holder`.
 */
export async function activateWithin(
  limiter: { acquire(client: string): () => void },
  client: string,
  activate: CredentialActivator,
  blob: Buffer,
  encrypted: Buffer,
  holder: 'server' | 'node',
): Promise<Buffer> {
  const release = limiter.acquire(client);
  try {
    return await activate(blob, encrypted);
  } catch (error) {
    if (error instanceof TpmError) {
      throw new InputError(
        CREDENTIAL_NOT_ACTIVATED,
        `Expected a credential made for this ${holder}'s EK and attesting AK, found one the TPM refused (${error.code})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    release();
  }
}

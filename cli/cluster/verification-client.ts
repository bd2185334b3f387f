// Talks to a node's VerificationService: GetAttestation for the CLI's fresh nonce, and ActivateCredential so
// the node's TPM proves the AK that signed that evidence. The channel is TLS without a pin: nothing secret
// travels, and what the CLI trusts is the document itself (bound to its own nonce and the service's purpose
// label, signed by an AK the activation tied to a certified EK). A relay can only forward to a real TPM.
import { randomBytes } from 'node:crypto';
import { credentials as grpcCredentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ATTESTED_CHANNEL_OPTIONS, proveAttestedAk } from '../../lib/atls/index.js';
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import type { CredentialActivation } from '../../lib/attestation/verify/ak-trust.js';
import { VerificationError } from '../../lib/errors.js';
import { PURPOSE_LABEL } from '../../agents/verification/purpose.js';
import {
  VerificationServiceClient,
  type ActivateCredentialRequest,
  type ActivateCredentialResponse,
  type GetAttestationResponse,
} from '../../proto/gen/verify.js';
import { nodeErrorOf } from './node-dial.js';

export const NONCE_BYTES = 32;
const CALL_TIMEOUT_MS = 15_000;

export interface FetchedEvidence {
  readonly document: AttestationDocument;
  readonly nonce: Buffer;
  /** The binding the node's quote must carry: computeBinding(nonce, PURPOSE_LABEL). */
  readonly binding: Buffer;
  readonly activation: CredentialActivation;
}

/** Fresh nonce → document → AK proof. Errors name `subject`; connection problems are NodeUnreachableError. */
export async function fetchNodeEvidence(target: string, subject: string): Promise<FetchedEvidence> {
  const client = new VerificationServiceClient(
    target,
    grpcCredentials.createSsl(null, null, null, { rejectUnauthorized: false }),
    { ...ATTESTED_CHANNEL_OPTIONS },
  );
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const response = await new Promise<GetAttestationResponse>((resolve, reject) => {
      client.getAttestation(
        { nonce },
        new Metadata(),
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (error: ServiceError | null, answer) => {
          if (error) reject(nodeErrorOf(error, subject));
          else resolve(answer);
        },
      );
    });
    if (response.document === undefined) {
      throw new VerificationError('DOCUMENT_MISSING', `Expected ${subject} to answer with a document, found none`);
    }
    const document = validateDocumentMessage(response.document);
    const activation = await proveAttestedAk(document, (credentialBlob, encryptedSecret) =>
      activate(client, { credentialBlob, encryptedSecret }, subject),
    );
    return { document, nonce, binding: PURPOSE_LABEL, activation };
  } finally {
    client.close();
  }
}

function activate(
  client: VerificationServiceClient,
  request: ActivateCredentialRequest,
  subject: string,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    client.activateCredential(
      request,
      new Metadata(),
      { deadline: Date.now() + CALL_TIMEOUT_MS },
      (error: ServiceError | null, answer: ActivateCredentialResponse) => {
        if (error) {
          reject(
            error.code === status.UNIMPLEMENTED
              ? new VerificationError(
                  'AK_ACTIVATION_UNSUPPORTED',
                  `Expected ${subject} to offer ActivateCredential, found it unimplemented (an older VerificationService)`,
                )
              : nodeErrorOf(error, subject),
          );
        } else resolve(Buffer.from(answer.secret));
      },
    );
  });
}

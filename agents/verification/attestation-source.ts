// The node's TPM as a source of attestation documents: one Tpm per process, one AK created at start and reused for
// every request (so a verifier can pin its name), flushed on close. Every TPM command goes through the native
// queue of the one Tpm, so concurrent requests are serialised there, not here.
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence, type QuotingTpm } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import type { KeyHandle, Tpm } from '../../native/tpm.js';
import { PURPOSE_LABEL, checkNonce } from './purpose.js';

export type SourceTpm = QuotingTpm & Pick<Tpm, 'close'>;

export interface AttestationSource {
  /** Hex TPM name of the AK that signs every quote (nameAlg ‖ H(public)). */
  readonly akName: string;
  /** Evidence bound to computeBinding(nonce, PURPOSE_LABEL): the VerificationService answer. */
  attest(nonce: Uint8Array): Promise<AttestationDocument>;
  /** Evidence bound to computeBinding(nonce, binding): the aTLS Attester answer (binding = TLS SPKI). */
  attestBound(nonce: Uint8Array, binding: Uint8Array): Promise<AttestationDocument>;
  close(): Promise<void>;
}

export interface TpmAttestationSourceOptions {
  readonly eventLogPath?: string;
}

/** Creates the AK on `tpm` and returns the source; the source owns `tpm` and closes it. */
export async function openTpmAttestationSource(
  tpm: SourceTpm,
  options: TpmAttestationSourceOptions = {},
): Promise<AttestationSource> {
  let ak: KeyHandle;
  try {
    ak = await tpm.createAk('ecc');
  } catch (error) {
    await tpm.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const attestBound = async (nonce: Uint8Array, binding: Uint8Array): Promise<AttestationDocument> => {
    const issued = await issueQemuVtpmEvidence({
      tpm,
      nonce: checkNonce(nonce),
      binding,
      ak,
      ...(options.eventLogPath === undefined ? {} : { eventLogPath: options.eventLogPath }),
    });
    return validateDocumentMessage(issued.document);
  };
  return {
    akName: ak.name.toString('hex'),
    attest: (nonce) => attestBound(nonce, PURPOSE_LABEL),
    attestBound,
    close() {
      closing ??= (async () => {
        try {
          await tpm.flush(ak);
        } finally {
          await tpm.close();
        }
      })();
      return closing;
    },
  };
}

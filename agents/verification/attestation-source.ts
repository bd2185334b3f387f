// The node's TPM as a source of attestation documents: one AK created at start (or lent by the caller) and reused
// for every request (so a verifier can pin its name), plus TPM2_ActivateCredential for that AK with the node's RSA
// EK (the EK whose certificate the issuer puts in documents), so a verifier can prove the AK lives in that TPM.
// Every TPM command goes through the native queue of the one Tpm, so concurrent requests are serialised there.
//
// Two ownerships: `openTpmAttestationSource` owns the Tpm (the agent's own process: closed on close) and keeps the
// EK loaded once made; `sharedTpmAttestationSource` borrows a Tpm (the Bootstrapper's) and never closes it. swtpm
// has 3 transient object slots for everyone in the process, so the shared source holds at most its AK at rest and
// makes the EK only for the length of one activation, one at a time, unless the caller lends both keys.
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence, type QuotingTpm } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import type { KeyHandle, Tpm } from '../../native/tpm.js';
import { PURPOSE_LABEL, checkNonce } from './purpose.js';

export type SharedSourceTpm = QuotingTpm & Pick<Tpm, 'createEk' | 'activateCredential'>;
export type SourceTpm = SharedSourceTpm & Pick<Tpm, 'close'>;

/** The EK kind whose certificate issueQemuVtpmEvidence puts in documents (NV 0x01c00002). */
export const DOCUMENT_EK_KIND = 'rsa';

export interface AttestationSource {
  /** Hex TPM name of the AK that signs every quote (nameAlg ‖ H(public)). */
  readonly akName: string;
  /** Evidence bound to computeBinding(nonce, PURPOSE_LABEL): the VerificationService answer. */
  attest(nonce: Uint8Array): Promise<AttestationDocument>;
  /** Evidence bound to computeBinding(nonce, binding): the aTLS Attester answer (binding = TLS SPKI). */
  attestBound(nonce: Uint8Array, binding: Uint8Array): Promise<AttestationDocument>;
  /** TPM2_ActivateCredential with the document EK for the attesting AK, and no other key. */
  activate(credentialBlob: Buffer, encryptedSecret: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface TpmAttestationSourceOptions {
  readonly eventLogPath?: string;
}

export interface SharedAttestationSourceOptions extends TpmAttestationSourceOptions {
  /** Keys the caller owns and keeps loaded (not flushed by the source): its AK, and optionally its RSA EK. */
  readonly keys?: { readonly ak: KeyHandle; readonly ek?: KeyHandle };
}

interface SourceParts {
  readonly tpm: SharedSourceTpm;
  readonly ak: KeyHandle;
  readonly eventLogPath: string | undefined;
  readonly activate: (credentialBlob: Buffer, encryptedSecret: Buffer) => Promise<Buffer>;
  readonly release: () => Promise<void>;
}

function sourceOf(parts: SourceParts): AttestationSource {
  const { tpm, ak, eventLogPath } = parts;
  let closing: Promise<void> | undefined;
  const attestBound = async (nonce: Uint8Array, binding: Uint8Array): Promise<AttestationDocument> => {
    const issued = await issueQemuVtpmEvidence({
      tpm,
      nonce: checkNonce(nonce),
      binding,
      ak,
      ...(eventLogPath === undefined ? {} : { eventLogPath }),
    });
    return validateDocumentMessage(issued.document);
  };
  return {
    akName: ak.name.toString('hex'),
    attest: (nonce) => attestBound(nonce, PURPOSE_LABEL),
    attestBound,
    activate: parts.activate,
    close() {
      closing ??= parts.release();
      return closing;
    },
  };
}

/** Runs `task` after every earlier one settled: at most one borrowed EK slot at a time. */
function serialised(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
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
  // The EK is made on the first activation and kept: this process is the TPM's only user.
  let ek: Promise<KeyHandle> | undefined;
  return sourceOf({
    tpm,
    ak,
    eventLogPath: options.eventLogPath,
    activate: async (credentialBlob, encryptedSecret) => {
      ek ??= tpm.createEk(DOCUMENT_EK_KIND);
      const loaded = await ek.catch((error: unknown) => {
        ek = undefined;
        throw error;
      });
      return tpm.activateCredential(ak, loaded, credentialBlob, encryptedSecret);
    },
    release: async () => {
      try {
        const loaded = await ek?.catch(() => undefined);
        if (loaded !== undefined) await tpm.flush(loaded);
        await tpm.flush(ak);
      } finally {
        await tpm.close();
      }
    },
  });
}

/** A source on a Tpm the caller owns and keeps open; only keys the source made are flushed on close. */
export async function sharedTpmAttestationSource(
  tpm: SharedSourceTpm,
  options: SharedAttestationSourceOptions = {},
): Promise<AttestationSource> {
  const lent = options.keys;
  const ak = lent?.ak ?? (await tpm.createAk('ecc'));
  const lentEk = lent?.ek;
  const oneAtATime = serialised();
  return sourceOf({
    tpm,
    ak,
    eventLogPath: options.eventLogPath,
    activate: (credentialBlob, encryptedSecret) => {
      if (lentEk !== undefined) return tpm.activateCredential(ak, lentEk, credentialBlob, encryptedSecret);
      return oneAtATime(async () => {
        const ek = await tpm.createEk(DOCUMENT_EK_KIND);
        try {
          return await tpm.activateCredential(ak, ek, credentialBlob, encryptedSecret);
        } finally {
          await tpm.flush(ek);
        }
      });
    },
    release: async () => {
      if (lent === undefined) await tpm.flush(ak);
    },
  });
}

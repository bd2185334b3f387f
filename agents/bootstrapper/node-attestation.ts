// The node's own evidence for the servers it runs before it belongs to a cluster (Init, Recover): qemu-vtpm quotes
// by the node's AK with its event log, and credential activation for that AK with its EK, so a caller proves the
// AK lives in the TPM whose EK certificate it checked (shared contract "AK proof by credential activation").
// The AK and EK are primaries of the endorsement hierarchy (the same keys every time they are created). A TPM has
// only a few transient object slots (swtpm: 3), so the Bootstrapper loads one pair at start and lends it to every
// user on the node (this, the join client, the VerificationService and JoinService hosts); it flushes them last.
import type { AttestationDocument } from '../../lib/attestation/document/attestation-document.js';
import { validateDocumentMessage } from '../../lib/attestation/document/document-validation.js';
import { issueQemuVtpmEvidence } from '../../lib/attestation/issuers/qemu-vtpm-issuer.js';
import type { KeyHandle } from '../../native/tpm.js';
import type { NodeTpm } from './ports.js';

export interface NodeAttestation {
  issue(nonce: Buffer, binding: Buffer): Promise<AttestationDocument>;
  /** TPM2_ActivateCredential for this node's attesting AK only. */
  activate(credentialBlob: Buffer, encryptedSecret: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface NodeKeys {
  readonly ak: KeyHandle;
  readonly ek: KeyHandle;
}

/** Loads the node's AK (ECC) and EK (RSA): the pair every service on the node shares. */
export async function loadNodeKeys(tpm: Pick<NodeTpm, 'createAk' | 'createEk' | 'flush'>): Promise<NodeKeys> {
  const ak = await tpm.createAk('ecc');
  try {
    return { ak, ek: await tpm.createEk('rsa') };
  } catch (error) {
    await tpm.flush(ak);
    throw error;
  }
}

export function nodeAttestation(tpm: NodeTpm, keys: NodeKeys, eventLogPath?: string): NodeAttestation {
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    issue: (nonce, binding) =>
      serially(async () => {
        const { document } = await issueQemuVtpmEvidence({
          tpm,
          nonce,
          binding,
          ak: keys.ak,
          ...(eventLogPath === undefined ? {} : { eventLogPath }),
        });
        return validateDocumentMessage(document);
      }),
    activate: (credentialBlob, encryptedSecret) =>
      serially(() => tpm.activateCredential(keys.ak, keys.ek, credentialBlob, encryptedSecret)),
    close: () => serially(() => Promise.resolve()),
  };
}

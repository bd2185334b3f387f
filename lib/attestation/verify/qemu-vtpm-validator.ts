// Validator for the `qemu-vtpm` variant (swtpm or any TPM 2.0): unlike the original, the AK is anchored
// (EK certificate + credential activation, an AK certificate, or pinned AK names) before any quote counts.
import { anchorAk, type TpmTrust } from './ak-trust.js';
import type { VerifiedTpmState } from './machine-state.js';
import { parseAk, tpmState, verifyTpmEvidence, type TpmEvidence, type TpmVerifyOptions } from './tpm-evidence.js';

export interface QemuVtpmInput {
  readonly evidence: TpmEvidence;
  readonly trust: TpmTrust;
  /** computeBinding(nonce, channel key) for this attestation. */
  readonly expectedQualifyingData: Uint8Array;
  /** Verification time for certificate validity. */
  readonly now: Date;
  readonly options?: TpmVerifyOptions;
}

export function verifyQemuVtpm(input: QemuVtpmInput): VerifiedTpmState {
  const { evidence, trust, now } = input;
  const ak = parseAk(evidence.akPublic);
  // Anchor first: nothing the AK signed means anything until the AK itself is trusted.
  const anchored = anchorAk({
    ak,
    ekCertificate: evidence.ekCertificate,
    akCertificateChain: evidence.akCertificateChain ?? [],
    trust,
    now,
  });
  const tpm = verifyTpmEvidence(ak, evidence, input.expectedQualifyingData, input.options);
  return tpmState(tpm, anchored);
}

// What makes a key fit to sign quotes: a TPM-resident (fixedTPM), TPM-generated, restricted signing
// key. An unrestricted key signs any blob, including a forged TPMS_ATTEST with the right magic, so a
// verifier must check this once, when it enrolls the AK (verifyQuote trusts the AK it is given).
import { VerificationError } from '../errors.js';
import { TPMA_OBJECT, type TpmaObjectFlag } from './tpm-constants.js';
import { TpmErrorCode } from './tpm-error-codes.js';
import type { TpmPublic } from './public-area.js';

const REQUIRED: readonly TpmaObjectFlag[] = ['fixedTPM', 'fixedParent', 'sensitiveDataOrigin', 'restricted', 'sign'];
const FORBIDDEN: readonly TpmaObjectFlag[] = ['decrypt'];

/** Throws TPM_AK_ATTRIBUTES_INVALID naming every missing or unexpected TPMA_OBJECT bit. */
export function assertAttestationKey(pub: Pick<TpmPublic, 'objectAttributes'>): void {
  const problems = [
    ...REQUIRED.filter((flag) => (pub.objectAttributes & TPMA_OBJECT[flag]) === 0).map((flag) => `${flag} missing`),
    ...FORBIDDEN.filter((flag) => (pub.objectAttributes & TPMA_OBJECT[flag]) !== 0).map((flag) => `${flag} set`),
  ];
  if (problems.length > 0) {
    throw new VerificationError(
      TpmErrorCode.AK_ATTRIBUTES_INVALID,
      `Expected a restricted signing key created in the TPM (fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign; not decrypt), got objectAttributes 0x${pub.objectAttributes.toString(16)}: ${problems.join(', ')}`,
    );
  }
}

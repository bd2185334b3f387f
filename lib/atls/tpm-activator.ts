// The server's half of the AK proof: TPM2_ActivateCredential with its EK and the one AK its evidence is
// quoted by. Binding both handles here means a caller can never make the server activate for another key.
import type { KeyHandle, Tpm } from '../../native/tpm.js';
import type { CredentialActivator } from './attester-service.js';

export function tpmCredentialActivator(
  tpm: Pick<Tpm, 'activateCredential'>,
  keys: { readonly ak: KeyHandle; readonly ek: KeyHandle },
): CredentialActivator {
  return (credentialBlob, encryptedSecret) => tpm.activateCredential(keys.ak, keys.ek, credentialBlob, encryptedSecret);
}

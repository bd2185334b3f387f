// Policy sessions for the EK (PolicySecret) and for sealed objects (PolicyPCR). Sessions are started with
// continueSession so ESAPI never frees them behind our back; the owner flushes them explicitly.
#pragma once

#include <tss2/tss2_esys.h>

namespace tpm2 {

// TPM2_SE_POLICY, or TPM2_SE_TRIAL to compute a policy digest without authorising anything.
ESYS_TR StartPolicySession(ESYS_CONTEXT* esys, TPM2_SE type);

// A session salted to `saltKey` (a loaded decryption key) with AES-128-CFB parameter encryption, so secrets
// crossing the TPM interface (the bus, or a host-provided vTPM channel) are not in the clear. `attributes`
// adds TPMA_SESSION_DECRYPT (command) and/or TPMA_SESSION_ENCRYPT (response). Passive observers only: the salt
// key is not checked against a known name.
ESYS_TR StartEncryptedSession(ESYS_CONTEXT* esys, ESYS_TR saltKey, TPM2_SE type, TPMA_SESSION attributes);

// PolicySecret(TPM_RH_ENDORSEMENT) with the (empty) endorsement hierarchy password: the EK's authPolicy.
void PolicySecretEndorsement(ESYS_CONTEXT* esys, ESYS_TR session);

}  // namespace tpm2

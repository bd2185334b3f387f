#include "policy-session.h"

#include "tpm-failure.h"

namespace tpm2 {

namespace {

ESYS_TR StartSession(ESYS_CONTEXT* esys, ESYS_TR saltKey, TPM2_SE type, const TPMT_SYM_DEF& symmetric,
                     TPMA_SESSION attributes) {
  ESYS_TR session = ESYS_TR_NONE;
  CheckRc(Esys_StartAuthSession(esys, saltKey, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nullptr, type,
                                &symmetric, TPM2_ALG_SHA256, &session),
          "Esys_StartAuthSession");
  TSS2_RC rc = Esys_TRSess_SetAttributes(esys, session, TPMA_SESSION_CONTINUESESSION | attributes, 0xff);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_FlushContext(esys, session);
    CheckRc(rc, "Esys_TRSess_SetAttributes");
  }
  return session;
}

}  // namespace

ESYS_TR StartPolicySession(ESYS_CONTEXT* esys, TPM2_SE type) {
  TPMT_SYM_DEF symmetric{};
  symmetric.algorithm = TPM2_ALG_NULL;
  return StartSession(esys, ESYS_TR_NONE, type, symmetric, 0);
}

ESYS_TR StartEncryptedSession(ESYS_CONTEXT* esys, ESYS_TR saltKey, TPM2_SE type, TPMA_SESSION attributes) {
  TPMT_SYM_DEF symmetric{};
  symmetric.algorithm = TPM2_ALG_AES;
  symmetric.keyBits.aes = 128;
  symmetric.mode.aes = TPM2_ALG_CFB;
  return StartSession(esys, saltKey, type, symmetric, attributes);
}

void PolicySecretEndorsement(ESYS_CONTEXT* esys, ESYS_TR session) {
  TPM2B_NONCE nonceTpm{};
  TPM2B_DIGEST cpHash{};
  TPM2B_NONCE policyRef{};
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  TSS2_RC rc = Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                 &nonceTpm, &cpHash, &policyRef, 0, &timeout, &ticket);
  Esys_Free(timeout);
  Esys_Free(ticket);
  CheckRc(rc, "Esys_PolicySecret");
}

}  // namespace tpm2

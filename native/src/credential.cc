// activateCredential: TPM2_ActivateCredential releases the credential only if the blob was made for this EK and
// for the name of the AK loaded here (so a verifier learns the AK sits in the same TPM as the EK).
#include "operations.h"
#include "policy-session.h"

namespace tpm2 {

namespace {

struct ActivateCredentialBaton {
  ESYS_TR ak = ESYS_TR_NONE;
  ESYS_TR ek = ESYS_TR_NONE;
  TPM2B_ID_OBJECT credentialBlob{};
  TPM2B_ENCRYPTED_SECRET secret{};
  SecretBytes credential;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    // Salted to the EK with response encryption: the released credential does not cross the interface in clear.
    ESYS_TR session = StartEncryptedSession(esys, ek, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT);
    ScopedFlush flushSession(esys, session);
    PolicySecretEndorsement(esys, session);
    TPM2B_DIGEST* certInfoRaw = nullptr;
    CheckRc(Esys_ActivateCredential(esys, ak, ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE, &credentialBlob, &secret,
                                    &certInfoRaw),
            "Esys_ActivateCredential");
    EsysSecretPtr<TPM2B_DIGEST> certInfo(certInfoRaw);
    credential.get().assign(certInfo->buffer, certInfo->buffer + certInfo->size);
  }
  Napi::Value Result(Napi::Env env) { return ToBuffer(env, credential.get()); }
};

}  // namespace

// activateCredential(context, akHandle, ekHandle, credentialBlob, secret) → Promise<Buffer>
Napi::Value ActivateCredential(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<ActivateCredentialBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->ak = Uint32Arg(info, 1, "ak");
  baton->ek = Uint32Arg(info, 2, "ek");
  FillSized(baton->credentialBlob.size, baton->credentialBlob.credential, sizeof(TPM2B_ID_OBJECT::credential),
            BytesArg(info, 3, "credentialBlob", sizeof(TPM2B_ID_OBJECT::credential)), "credentialBlob");
  FillSized(baton->secret.size, baton->secret.secret, sizeof(TPM2B_ENCRYPTED_SECRET::secret),
            BytesArg(info, 4, "secret", sizeof(TPM2B_ENCRYPTED_SECRET::secret)), "secret");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace tpm2

// seal / unseal under a PCR policy. The parent is an ECC storage primary in the owner hierarchy, re-created
// (deterministically) for each call and flushed afterwards, so nothing stays loaded between calls.
#include "operations.h"
#include "policy-session.h"

namespace tpm2 {

namespace {

void ApplyPcrPolicy(ESYS_CONTEXT* esys, ESYS_TR session, const TPML_PCR_SELECTION& selection) {
  TPM2B_DIGEST current{};  // empty: the TPM uses the PCRs' current values
  CheckRc(Esys_PolicyPCR(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &current, &selection),
          "Esys_PolicyPCR");
}

TPM2B_DIGEST PcrPolicyDigest(ESYS_CONTEXT* esys, const TPML_PCR_SELECTION& selection) {
  ESYS_TR trial = StartPolicySession(esys, TPM2_SE_TRIAL);
  ScopedFlush flushTrial(esys, trial);
  ApplyPcrPolicy(esys, trial, selection);
  TPM2B_DIGEST* digestRaw = nullptr;
  CheckRc(Esys_PolicyGetDigest(esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &digestRaw),
          "Esys_PolicyGetDigest");
  EsysPtr<TPM2B_DIGEST> digest(digestRaw);
  return *digest;
}

struct SealBaton {
  TPML_PCR_SELECTION selection{};
  SecretBytes data;
  std::vector<uint8_t> publicArea;
  std::vector<uint8_t> privateBlob;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    ESYS_TR parent = CreatePrimary(esys, ESYS_TR_RH_OWNER, SrkTemplate());
    ScopedFlush flushParent(esys, parent);
    TPM2B_PUBLIC templ = SealedObjectTemplate(PcrPolicyDigest(esys, selection));
    TPM2B_SENSITIVE_CREATE sensitive{};
    FillSized(sensitive.sensitive.data.size, sensitive.sensitive.data.buffer, sizeof(sensitive.sensitive.data.buffer),
              data.get(), "data");
    TPM2B_DATA outsideInfo{};
    TPML_PCR_SELECTION creationPcrs{};
    TPM2B_PRIVATE* outPrivate = nullptr;
    TPM2B_PUBLIC* outPublic = nullptr;
    TPM2B_CREATION_DATA* creationData = nullptr;
    TPM2B_DIGEST* creationHash = nullptr;
    TPMT_TK_CREATION* creationTicket = nullptr;
    // The data travels encrypted: an HMAC session salted to the parent authorises Create and encrypts inSensitive.
    ESYS_TR session = StartEncryptedSession(esys, parent, TPM2_SE_HMAC, TPMA_SESSION_DECRYPT);
    ScopedFlush flushSession(esys, session);
    TSS2_RC rc = Esys_Create(esys, parent, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &templ,
                             &outsideInfo, &creationPcrs, &outPrivate, &outPublic, &creationData, &creationHash,
                             &creationTicket);
    explicit_bzero(&sensitive, sizeof(sensitive));
    EsysPtr<TPM2B_PRIVATE> priv(outPrivate);
    EsysPtr<TPM2B_PUBLIC> pub(outPublic);
    Esys_Free(creationData);
    Esys_Free(creationHash);
    Esys_Free(creationTicket);
    CheckRc(rc, "Esys_Create");
    publicArea = Marshal(pub->publicArea, Tss2_MU_TPMT_PUBLIC_Marshal, "TPMT_PUBLIC");
    privateBlob.assign(priv->buffer, priv->buffer + priv->size);
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("public", ToBuffer(env, publicArea));
    result.Set("private", ToBuffer(env, privateBlob));
    return result;
  }
};

struct UnsealBaton {
  TPML_PCR_SELECTION selection{};
  TPM2B_PUBLIC sealedPublic{};
  TPM2B_PRIVATE sealedPrivate{};
  SecretBytes data;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    ESYS_TR parent = CreatePrimary(esys, ESYS_TR_RH_OWNER, SrkTemplate());
    ScopedFlush flushParent(esys, parent);
    ESYS_TR object = ESYS_TR_NONE;
    CheckRc(Esys_Load(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sealedPrivate, &sealedPublic, &object),
            "Esys_Load");
    ScopedFlush flushObject(esys, object);
    // Salted to the parent and response-encrypted: the unsealed data does not cross the interface in the clear.
    ESYS_TR session = StartEncryptedSession(esys, parent, TPM2_SE_POLICY, TPMA_SESSION_ENCRYPT);
    ScopedFlush flushSession(esys, session);
    ApplyPcrPolicy(esys, session, selection);
    TPM2B_SENSITIVE_DATA* outRaw = nullptr;
    CheckRc(Esys_Unseal(esys, object, session, ESYS_TR_NONE, ESYS_TR_NONE, &outRaw), "Esys_Unseal");
    EsysSecretPtr<TPM2B_SENSITIVE_DATA> out(outRaw);
    data.get().assign(out->buffer, out->buffer + out->size);
  }
  Napi::Value Result(Napi::Env env) { return ToBuffer(env, data.get()); }
};

}  // namespace

// seal(context, data, [[alg, mask]...]) → Promise<{public: TPMT_PUBLIC, private: TPM2B_PRIVATE contents}>
Napi::Value Seal(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<SealBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->data.get() = BytesArg(info, 1, "data", sizeof(TPM2B_SENSITIVE_DATA::buffer));
  baton->selection = PcrSelectionArg(info, 2, "selection");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// unseal(context, public, private, [[alg, mask]...]) → Promise<Buffer>
Napi::Value Unseal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto baton = std::make_unique<UnsealBaton>();
  ContextPtr context = ContextArg(info, 0);
  std::vector<uint8_t> publicArea = BytesArg(info, 1, "public", sizeof(TPMT_PUBLIC) + 16);
  std::vector<uint8_t> privateBlob = BytesArg(info, 2, "private", sizeof(TPM2B_PRIVATE::buffer));
  baton->selection = PcrSelectionArg(info, 3, "selection");
  TPMT_PUBLIC area{};
  size_t offset = 0;
  if (Tss2_MU_TPMT_PUBLIC_Unmarshal(publicArea.data(), publicArea.size(), &offset, &area) != TSS2_RC_SUCCESS ||
      offset != publicArea.size()) {
    throw Napi::RangeError::New(env, "Expected a marshalled TPMT_PUBLIC for public");
  }
  baton->sealedPublic.publicArea = area;
  FillTpm2b(baton->sealedPrivate, privateBlob, "private");
  return RunAsync(env, std::move(context), std::move(baton));
}

}  // namespace tpm2

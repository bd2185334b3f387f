// Keys: the EK (TCG default templates), the AK, reading public areas, and flushing.
//
// The AK is a primary key in the endorsement hierarchy, derived from the EPS like the EK: it is therefore
// reproducible on this TPM (the same template gives the same key until the EPS changes) and lives in the
// hierarchy whose EK vouches for it in TPM2_ActivateCredential. It is restricted, so it only signs data the
// TPM itself produced (quotes) or digests the TPM hashed and ticketed as not starting with TPM_GENERATED_VALUE.
#include "operations.h"

namespace tpm2 {

std::vector<uint8_t> MarshalPublicArea(const TPMT_PUBLIC& area) {
  return Marshal(area, Tss2_MU_TPMT_PUBLIC_Marshal, "TPMT_PUBLIC");
}

LoadedObject DescribeObject(ESYS_CONTEXT* esys, ESYS_TR handle) {
  TPM2B_PUBLIC* publicRaw = nullptr;
  TPM2B_NAME* nameRaw = nullptr;
  TPM2B_NAME* qualifiedRaw = nullptr;
  CheckRc(Esys_ReadPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &publicRaw, &nameRaw, &qualifiedRaw),
          "Esys_ReadPublic");
  EsysPtr<TPM2B_PUBLIC> pub(publicRaw);
  EsysPtr<TPM2B_NAME> name(nameRaw);
  EsysPtr<TPM2B_NAME> qualified(qualifiedRaw);
  LoadedObject object;
  object.handle = handle;
  object.publicArea = MarshalPublicArea(pub->publicArea);
  object.name.assign(name->name, name->name + name->size);
  return object;
}

Napi::Object LoadedObjectToJs(Napi::Env env, const LoadedObject& object) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("handle", Napi::Number::New(env, object.handle));
  result.Set("public", ToBuffer(env, object.publicArea));
  result.Set("name", ToBuffer(env, object.name));
  return result;
}

ESYS_TR CreatePrimary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, const TPM2B_PUBLIC& templ) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outsideInfo{};
  TPML_PCR_SELECTION creationPcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* outPublic = nullptr;
  TPM2B_CREATION_DATA* creationData = nullptr;
  TPM2B_DIGEST* creationHash = nullptr;
  TPMT_TK_CREATION* creationTicket = nullptr;
  CheckRc(Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &templ,
                             &outsideInfo, &creationPcrs, &handle, &outPublic, &creationData, &creationHash,
                             &creationTicket),
          "Esys_CreatePrimary");
  Esys_Free(outPublic);
  Esys_Free(creationData);
  Esys_Free(creationHash);
  Esys_Free(creationTicket);
  return handle;
}

namespace {

struct ReadPublicBaton {
  uint32_t tpmHandle = 0;
  LoadedObject object;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    ESYS_TR handle = ESYS_TR_NONE;
    CheckRc(Esys_TR_FromTPMPublic(esys, tpmHandle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &handle),
            "Esys_TR_FromTPMPublic");
    try {
      object = DescribeObject(esys, handle);
    } catch (...) {
      Esys_TR_Close(esys, &handle);
      throw;
    }
    // Only the ESYS metadata is released; the persistent object stays in the TPM.
    Esys_TR_Close(esys, &handle);
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("public", ToBuffer(env, object.publicArea));
    result.Set("name", ToBuffer(env, object.name));
    return result;
  }
};

struct CreateKeyBaton {
  bool endorsementKey = false;
  KeyKind kind = KeyKind::kEcc;
  LoadedObject object;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    TPM2B_PUBLIC templ = endorsementKey ? EkTemplate(kind) : AkTemplate(kind);
    ESYS_TR handle = CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, templ);
    try {
      object = DescribeObject(esys, handle);
    } catch (...) {
      Esys_FlushContext(esys, handle);
      throw;
    }
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object result = LoadedObjectToJs(env, object);
    result.Set("kind", Napi::String::New(env, KeyKindName(kind)));
    return result;
  }
};

struct FlushBaton {
  ESYS_TR handle = ESYS_TR_NONE;
  void Run(TpmContext& context) { CheckRc(Esys_FlushContext(context.esys(), handle), "Esys_FlushContext"); }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

Napi::Value CreateKey(const Napi::CallbackInfo& info, bool endorsementKey) {
  auto baton = std::make_unique<CreateKeyBaton>();
  ContextPtr context = ContextArg(info, 0);
  std::string kind = StringArg(info, 1, "kind");
  if (kind != "rsa" && kind != "ecc") throw Napi::TypeError::New(info.Env(), "Expected 'rsa' or 'ecc' for kind");
  baton->kind = ParseKeyKind(kind);
  baton->endorsementKey = endorsementKey;
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace

// readPublic(context, tpmHandle) → Promise<{public, name}>
Napi::Value ReadPublic(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<ReadPublicBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->tpmHandle = Uint32Arg(info, 1, "handle");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// createEk(context, 'rsa'|'ecc') → Promise<{handle, public, name, kind}>
Napi::Value CreateEk(const Napi::CallbackInfo& info) { return CreateKey(info, true); }

// createAk(context, 'rsa'|'ecc') → Promise<{handle, public, name, kind}>
Napi::Value CreateAk(const Napi::CallbackInfo& info) { return CreateKey(info, false); }

// flush(context, esysHandle) → Promise<void>
Napi::Value Flush(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<FlushBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->handle = Uint32Arg(info, 1, "handle");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace tpm2

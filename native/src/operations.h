// Entry points exported to JS. Each validates its arguments cheaply, copies them into a C++-only baton on the
// main thread and returns the promise of a TpmWorker.
#pragma once

#include <napi.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "js-args.h"
#include "tpm-context.h"
#include "tpm-failure.h"
#include "tpm-templates.h"

namespace tpm2 {

Napi::Value Open(const Napi::CallbackInfo& info);
Napi::Value Close(const Napi::CallbackInfo& info);
Napi::Value GetRandom(const Napi::CallbackInfo& info);
Napi::Value PcrRead(const Napi::CallbackInfo& info);
Napi::Value PcrExtend(const Napi::CallbackInfo& info);
Napi::Value ReadPublic(const Napi::CallbackInfo& info);
Napi::Value CreateEk(const Napi::CallbackInfo& info);
Napi::Value CreateAk(const Napi::CallbackInfo& info);
Napi::Value Flush(const Napi::CallbackInfo& info);
Napi::Value Quote(const Napi::CallbackInfo& info);
Napi::Value Sign(const Napi::CallbackInfo& info);
Napi::Value ActivateCredential(const Napi::CallbackInfo& info);
Napi::Value Seal(const Napi::CallbackInfo& info);
Napi::Value Unseal(const Napi::CallbackInfo& info);
Napi::Value NvDefine(const Napi::CallbackInfo& info);
Napi::Value NvUndefine(const Napi::CallbackInfo& info);
Napi::Value NvRead(const Napi::CallbackInfo& info);
Napi::Value NvWrite(const Napi::CallbackInfo& info);
Napi::Value NvIsDefined(const Napi::CallbackInfo& info);

// The loaded object as handed to JS: {handle, public: TPMT_PUBLIC bytes, name: TPM2B_NAME bytes}.
struct LoadedObject {
  ESYS_TR handle = ESYS_TR_NONE;
  std::vector<uint8_t> publicArea;
  std::vector<uint8_t> name;
};

// Reads public area and name of a loaded ESYS_TR (TPM2_ReadPublic).
LoadedObject DescribeObject(ESYS_CONTEXT* esys, ESYS_TR handle);
Napi::Object LoadedObjectToJs(Napi::Env env, const LoadedObject& object);

// Creates a primary key in `hierarchy`; the caller owns (and must flush) the returned handle.
ESYS_TR CreatePrimary(ESYS_CONTEXT* esys, ESYS_TR hierarchy, const TPM2B_PUBLIC& templ);

}  // namespace tpm2

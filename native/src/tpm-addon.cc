// Module entry: a flat list of functions (no native classes); the TS layer owns all object modelling.
#include "operations.h"

#if !defined(TSS2_RC_LAYER_SHIFT)
#error "tpm2-tss >= 3.0 is required (apt-get install libtss2-dev pkg-config) - see native/README.md"
#endif

namespace tpm2 {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("getRandom", Napi::Function::New(env, GetRandom, "getRandom"));
  exports.Set("pcrRead", Napi::Function::New(env, PcrRead, "pcrRead"));
  exports.Set("pcrExtend", Napi::Function::New(env, PcrExtend, "pcrExtend"));
  exports.Set("readPublic", Napi::Function::New(env, ReadPublic, "readPublic"));
  exports.Set("createEk", Napi::Function::New(env, CreateEk, "createEk"));
  exports.Set("createAk", Napi::Function::New(env, CreateAk, "createAk"));
  exports.Set("flush", Napi::Function::New(env, Flush, "flush"));
  exports.Set("quote", Napi::Function::New(env, Quote, "quote"));
  exports.Set("sign", Napi::Function::New(env, Sign, "sign"));
  exports.Set("activateCredential", Napi::Function::New(env, ActivateCredential, "activateCredential"));
  exports.Set("seal", Napi::Function::New(env, Seal, "seal"));
  exports.Set("unseal", Napi::Function::New(env, Unseal, "unseal"));
  exports.Set("nvDefine", Napi::Function::New(env, NvDefine, "nvDefine"));
  exports.Set("nvUndefine", Napi::Function::New(env, NvUndefine, "nvUndefine"));
  exports.Set("nvRead", Napi::Function::New(env, NvRead, "nvRead"));
  exports.Set("nvWrite", Napi::Function::New(env, NvWrite, "nvWrite"));
  exports.Set("nvIsDefined", Napi::Function::New(env, NvIsDefined, "nvIsDefined"));
  return exports;
}

}  // namespace tpm2

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tpm2::Init(env, exports); }

NODE_API_MODULE(tpm2, InitModule)

// getRandom: TPM2_GetRandom returns at most one digest's worth per call, so it loops.
#include "operations.h"

namespace tpm2 {

namespace {

struct RandomBaton {
  size_t size = 0;
  SecretBytes bytes;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    bytes.get().reserve(size);
    while (bytes.get().size() < size) {
      size_t wanted = std::min<size_t>(size - bytes.get().size(), sizeof(TPMU_HA));
      TPM2B_DIGEST* raw = nullptr;
      CheckRc(Esys_GetRandom(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, static_cast<UINT16>(wanted), &raw),
              "Esys_GetRandom");
      EsysSecretPtr<TPM2B_DIGEST> random(raw);
      if (random->size == 0) throw TpmFailure("TPM_RC", 0, "Esys_GetRandom returned no bytes");
      bytes.get().insert(bytes.get().end(), random->buffer, random->buffer + random->size);
    }
  }
  Napi::Value Result(Napi::Env env) { return ToBuffer(env, bytes.get()); }
};

}  // namespace

// getRandom(context, size) → Promise<Buffer>
Napi::Value GetRandom(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<RandomBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->size = Uint32Arg(info, 1, "size");
  if (baton->size == 0 || baton->size > 65536) throw Napi::RangeError::New(info.Env(), "Expected 1-65536 for size");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace tpm2

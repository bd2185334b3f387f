// pcrRead / pcrExtend. TPM2_PCR_Read returns at most 8 digests per call, so reads loop until the whole
// selection is covered, restarting if the PCR update counter moved in between (a torn read).
#include <cstdio>

#include "operations.h"

namespace tpm2 {

namespace {

struct PcrDigest {
  uint16_t alg;
  uint32_t pcr;
  std::vector<uint8_t> digest;
};

bool AnySelected(const TPML_PCR_SELECTION& selection) {
  for (uint32_t i = 0; i < selection.count; i++) {
    for (uint8_t byte : selection.pcrSelections[i].pcrSelect) {
      if (byte != 0) return true;
    }
  }
  return false;
}

void Deselect(TPML_PCR_SELECTION& selection, uint16_t alg, uint32_t pcr) {
  for (uint32_t i = 0; i < selection.count; i++) {
    if (selection.pcrSelections[i].hash == alg) selection.pcrSelections[i].pcrSelect[pcr / 8] &= ~(1u << (pcr % 8));
  }
}

std::string DescribeSelection(const TPML_PCR_SELECTION& selection) {
  std::string text;
  for (uint32_t i = 0; i < selection.count; i++) {
    const auto& bank = selection.pcrSelections[i];
    bool any = false;
    for (uint8_t byte : bank.pcrSelect) any = any || byte != 0;
    if (!any) continue;
    char alg[16];
    std::snprintf(alg, sizeof(alg), "0x%04x", bank.hash);
    text += (text.empty() ? "" : ", ") + std::string("alg ") + alg;
  }
  return text;
}

struct PcrReadBaton {
  TPML_PCR_SELECTION selection{};
  uint32_t updateCounter = 0;
  std::vector<PcrDigest> digests;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    for (int attempt = 0; attempt < 5; attempt++) {
      if (ReadConsistent(esys)) return;
    }
    throw TpmFailure("PCR_READ_UNSTABLE", 0, "Expected PCRs to stay unchanged during a read but they kept changing");
  }

  // One pass over the whole selection; false if the update counter changed between calls.
  bool ReadConsistent(ESYS_CONTEXT* esys) {
    digests.clear();
    TPML_PCR_SELECTION remaining = selection;
    bool first = true;
    while (AnySelected(remaining)) {
      UINT32 counter = 0;
      TPML_PCR_SELECTION* outRaw = nullptr;
      TPML_DIGEST* valuesRaw = nullptr;
      CheckRc(Esys_PCR_Read(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, &counter, &outRaw, &valuesRaw),
              "Esys_PCR_Read");
      EsysPtr<TPML_PCR_SELECTION> out(outRaw);
      EsysPtr<TPML_DIGEST> values(valuesRaw);
      if (first) updateCounter = counter;
      if (counter != updateCounter) return false;
      first = false;
      uint32_t next = 0;
      for (uint32_t b = 0; b < out->count; b++) {
        const auto& bank = out->pcrSelections[b];
        for (uint32_t pcr = 0; pcr < bank.sizeofSelect * 8u; pcr++) {
          if ((bank.pcrSelect[pcr / 8] & (1u << (pcr % 8))) == 0) continue;
          if (next >= values->count) throw TpmFailure("TPM_RC", 0, "TPM2_PCR_Read returned fewer digests than selected");
          const TPM2B_DIGEST& digest = values->digests[next++];
          digests.push_back({bank.hash, pcr, std::vector<uint8_t>(digest.buffer, digest.buffer + digest.size)});
          Deselect(remaining, bank.hash, pcr);
        }
      }
      if (next == 0) {
        // The TPM skips banks (or PCRs) it does not implement; without this check the loop would never end.
        throw TpmFailure("PCR_BANK_INACTIVE", 0,
                         "Expected the TPM to have the selected PCR banks active but it returned nothing for " +
                             DescribeSelection(remaining));
      }
    }
    return true;
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("updateCounter", Napi::Number::New(env, updateCounter));
    Napi::Array list = Napi::Array::New(env, digests.size());
    for (uint32_t i = 0; i < digests.size(); i++) {
      Napi::Array entry = Napi::Array::New(env, 3);
      entry.Set(0u, Napi::Number::New(env, digests[i].alg));
      entry.Set(1u, Napi::Number::New(env, digests[i].pcr));
      entry.Set(2u, ToBuffer(env, digests[i].digest));
      list.Set(i, entry);
    }
    result.Set("digests", list);
    return result;
  }
};

struct PcrExtendBaton {
  uint32_t pcr = 0;
  TPML_DIGEST_VALUES digests{};

  void Run(TpmContext& context) {
    CheckRc(Esys_PCR_Extend(context.esys(), ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digests),
            "Esys_PCR_Extend");
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

size_t DigestSize(uint16_t alg) {
  switch (alg) {
    case TPM2_ALG_SHA1:
      return TPM2_SHA1_DIGEST_SIZE;
    case TPM2_ALG_SHA256:
      return TPM2_SHA256_DIGEST_SIZE;
    case TPM2_ALG_SHA384:
      return TPM2_SHA384_DIGEST_SIZE;
    case TPM2_ALG_SHA512:
      return TPM2_SHA512_DIGEST_SIZE;
    default:
      return 0;
  }
}

}  // namespace

// pcrRead(context, [[alg, mask], ...]) → Promise<{updateCounter, digests: [alg, pcr, Buffer][]}>
Napi::Value PcrRead(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<PcrReadBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->selection = PcrSelectionArg(info, 1, "selection");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// pcrExtend(context, pcr, [[alg, Buffer], ...]) → Promise<void>
Napi::Value PcrExtend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto baton = std::make_unique<PcrExtendBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->pcr = Uint32Arg(info, 1, "pcr");
  if (baton->pcr > 23) throw Napi::RangeError::New(env, "Expected integer 0-23 for pcr");
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "Expected array of [alg, digest] pairs for digests");
  auto list = info[2].As<Napi::Array>();
  if (list.Length() == 0 || list.Length() > TPM2_NUM_PCR_BANKS) {
    throw Napi::RangeError::New(env, "Expected 1-16 digests for digests");
  }
  baton->digests.count = list.Length();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value pair = list[i];
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) {
      throw Napi::TypeError::New(env, "Expected array of [alg, digest] pairs for digests");
    }
    Napi::Value alg = pair.As<Napi::Array>()[0u];
    Napi::Value digest = pair.As<Napi::Array>()[1u];
    if (!alg.IsNumber() || !digest.IsTypedArray() ||
        digest.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "Expected array of [alg, digest] pairs for digests");
    }
    uint16_t algId = static_cast<uint16_t>(alg.As<Napi::Number>().Uint32Value());
    auto bytes = digest.As<Napi::Uint8Array>();
    if (DigestSize(algId) == 0 || bytes.ByteLength() != DigestSize(algId)) {
      throw Napi::RangeError::New(env, "Expected a digest of the bank's size for digests");
    }
    baton->digests.digests[i].hashAlg = algId;
    std::memcpy(&baton->digests.digests[i].digest, bytes.Data(), bytes.ByteLength());
  }
  return RunAsync(env, std::move(context), std::move(baton));
}

}  // namespace tpm2

// quote / sign with a loaded signing key. Outputs are wire bytes: the TPMS_ATTEST message exactly as signed
// and the marshalled TPMT_SIGNATURE.
#include "operations.h"

namespace tpm2 {

namespace {

std::vector<uint8_t> MarshalSignature(const TPMT_SIGNATURE& signature) {
  return Marshal(signature, Tss2_MU_TPMT_SIGNATURE_Marshal, "TPMT_SIGNATURE");
}

Napi::Object SignatureResult(Napi::Env env, const std::vector<uint8_t>& attest, const std::vector<uint8_t>& sig) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("attest", ToBuffer(env, attest));
  result.Set("signature", ToBuffer(env, sig));
  return result;
}

struct QuoteBaton {
  ESYS_TR key = ESYS_TR_NONE;
  TPML_PCR_SELECTION selection{};
  TPM2B_DATA qualifyingData{};
  std::vector<uint8_t> attest;
  std::vector<uint8_t> signature;

  void Run(TpmContext& context) {
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;  // the key's own scheme
    TPM2B_ATTEST* attestRaw = nullptr;
    TPMT_SIGNATURE* signatureRaw = nullptr;
    CheckRc(Esys_Quote(context.esys(), key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifyingData, &scheme,
                       &selection, &attestRaw, &signatureRaw),
            "Esys_Quote");
    EsysPtr<TPM2B_ATTEST> attested(attestRaw);
    EsysPtr<TPMT_SIGNATURE> signed_(signatureRaw);
    attest.assign(attested->attestationData, attested->attestationData + attested->size);
    signature = MarshalSignature(*signed_);
  }
  Napi::Value Result(Napi::Env env) { return SignatureResult(env, attest, signature); }
};

struct SignBaton {
  ESYS_TR key = ESYS_TR_NONE;
  std::vector<uint8_t> message;
  std::vector<uint8_t> signature;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    TPM2B_DIGEST* digestRaw = nullptr;
    TPMT_TK_HASHCHECK* ticketRaw = nullptr;
    // The ticket proves to TPM2_Sign that the TPM hashed the message and that it does not start with
    // TPM_GENERATED_VALUE; for such messages it is a NULL ticket and a restricted key refuses to sign.
    if (message.size() <= sizeof(TPM2B_MAX_BUFFER::buffer)) {
      TPM2B_MAX_BUFFER data{};
      FillTpm2b(data, message, "message");
      CheckRc(Esys_Hash(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &data, TPM2_ALG_SHA256, ESYS_TR_RH_OWNER,
                        &digestRaw, &ticketRaw),
              "Esys_Hash");
    } else {
      HashSequence(esys, &digestRaw, &ticketRaw);
    }
    EsysPtr<TPM2B_DIGEST> digest(digestRaw);
    EsysPtr<TPMT_TK_HASHCHECK> ticket(ticketRaw);
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;
    TPMT_SIGNATURE* signatureRaw = nullptr;
    CheckRc(Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, digest.get(), &scheme, ticket.get(),
                      &signatureRaw),
            "Esys_Sign");
    EsysPtr<TPMT_SIGNATURE> signed_(signatureRaw);
    signature = MarshalSignature(*signed_);
  }

  // Messages longer than one TPM2B_MAX_BUFFER go through a hash sequence.
  void HashSequence(ESYS_CONTEXT* esys, TPM2B_DIGEST** digest, TPMT_TK_HASHCHECK** ticket) {
    TPM2B_AUTH auth{};
    ESYS_TR sequence = ESYS_TR_NONE;
    CheckRc(Esys_HashSequenceStart(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &auth, TPM2_ALG_SHA256, &sequence),
            "Esys_HashSequenceStart");
    const size_t chunk = sizeof(TPM2B_MAX_BUFFER::buffer);
    size_t offset = 0;
    try {
      for (; message.size() - offset > chunk; offset += chunk) {
        TPM2B_MAX_BUFFER part{};
        part.size = static_cast<UINT16>(chunk);
        std::memcpy(part.buffer, message.data() + offset, chunk);
        CheckRc(Esys_SequenceUpdate(esys, sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &part),
                "Esys_SequenceUpdate");
      }
    } catch (...) {
      Esys_FlushContext(esys, sequence);
      throw;
    }
    TPM2B_MAX_BUFFER last{};
    last.size = static_cast<UINT16>(message.size() - offset);
    std::memcpy(last.buffer, message.data() + offset, last.size);
    // SequenceComplete consumes the sequence object, also on most failures.
    CheckRc(Esys_SequenceComplete(esys, sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &last,
                                  ESYS_TR_RH_OWNER, digest, ticket),
            "Esys_SequenceComplete");
  }

  Napi::Value Result(Napi::Env env) { return ToBuffer(env, signature); }
};

}  // namespace

// quote(context, keyHandle, [[alg, mask]...], qualifyingData) → Promise<{attest, signature}>
Napi::Value Quote(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<QuoteBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->key = Uint32Arg(info, 1, "key");
  baton->selection = PcrSelectionArg(info, 2, "selection");
  std::vector<uint8_t> data = BytesArg(info, 3, "qualifyingData", sizeof(TPM2B_DATA::buffer));
  FillTpm2b(baton->qualifyingData, data, "qualifyingData");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// sign(context, keyHandle, message) → Promise<Buffer /* TPMT_SIGNATURE */>
Napi::Value Sign(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<SignBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->key = Uint32Arg(info, 1, "key");
  baton->message = BytesArg(info, 2, "message", 1 << 20);
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace tpm2

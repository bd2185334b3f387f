#include "js-args.h"

namespace tpm2 {

namespace {
// Marks externals made by this module so a foreign External can never be taken for a context.
const napi_type_tag kContextTag = {0x6c9a3f2e1b7d4a05ULL, 0x93e1c4d7a2b85f61ULL};

std::string Named(const char* name, const char* expected) {
  return std::string("Expected ") + expected + " for " + name;
}
}  // namespace

Napi::Value WrapContext(Napi::Env env, ContextPtr context) {
  auto* holder = new ContextPtr(std::move(context));
  auto external = Napi::External<ContextPtr>::New(env, holder, [](Napi::Env, ContextPtr* p) { delete p; });
  external.TypeTag(&kContextTag);
  return external;
}

ContextPtr ContextArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (!value.IsExternal() || !value.As<Napi::External<ContextPtr>>().CheckTypeTag(&kContextTag)) {
    throw Napi::TypeError::New(info.Env(), "Expected a TPM context for context");
  }
  return *value.As<Napi::External<ContextPtr>>().Data();
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsString()) throw Napi::TypeError::New(info.Env(), Named(name, "string"));
  std::string value = info[index].As<Napi::String>().Utf8Value();
  if (value.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), Named(name, "string without NUL"));
  return value;
}

uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), Named(name, "number"));
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= 4294967295.0) || value != static_cast<double>(static_cast<uint32_t>(value))) {
    throw Napi::RangeError::New(info.Env(), Named(name, "integer 0-4294967295"));
  }
  return static_cast<uint32_t>(value);
}

std::vector<uint8_t> BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name, size_t maxSize) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), Named(name, "Buffer or Uint8Array"));
  }
  auto array = value.As<Napi::Uint8Array>();
  if (array.ByteLength() > maxSize) {
    throw Napi::RangeError::New(info.Env(), Named(name, ("at most " + std::to_string(maxSize) + " bytes").c_str()));
  }
  return std::vector<uint8_t>(array.Data(), array.Data() + array.ByteLength());
}

TPML_PCR_SELECTION PcrSelectionArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (!info[index].IsArray()) throw Napi::TypeError::New(env, Named(name, "array of [alg, mask] pairs"));
  auto banks = info[index].As<Napi::Array>();
  if (banks.Length() > TPM2_NUM_PCR_BANKS) throw Napi::RangeError::New(env, Named(name, "at most 16 banks"));
  TPML_PCR_SELECTION selection{};
  selection.count = banks.Length();
  for (uint32_t i = 0; i < banks.Length(); i++) {
    Napi::Value pair = banks[i];
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) {
      throw Napi::TypeError::New(env, Named(name, "array of [alg, mask] pairs"));
    }
    Napi::Value alg = pair.As<Napi::Array>()[0u];
    Napi::Value mask = pair.As<Napi::Array>()[1u];
    if (!alg.IsNumber() || !mask.IsNumber()) throw Napi::TypeError::New(env, Named(name, "numeric [alg, mask] pairs"));
    uint32_t bits = mask.As<Napi::Number>().Uint32Value();
    if (bits > 0xffffff) throw Napi::RangeError::New(env, Named(name, "PCR mask of 24 bits"));
    auto& bank = selection.pcrSelections[i];
    bank.hash = static_cast<TPMI_ALG_HASH>(alg.As<Napi::Number>().Uint32Value() & 0xffff);
    bank.sizeofSelect = 3;
    bank.pcrSelect[0] = bits & 0xff;
    bank.pcrSelect[1] = (bits >> 8) & 0xff;
    bank.pcrSelect[2] = (bits >> 16) & 0xff;
  }
  return selection;
}

void FillSized(UINT16& size, BYTE* buffer, size_t capacity, const std::vector<uint8_t>& bytes, const char* what) {
  if (bytes.size() > capacity) {
    throw TpmFailure("INVALID_ARGUMENT", 0,
                     std::string("Expected at most ") + std::to_string(capacity) + " bytes for " + what +
                         " but received " + std::to_string(bytes.size()));
  }
  size = static_cast<UINT16>(bytes.size());
  if (!bytes.empty()) memcpy(buffer, bytes.data(), bytes.size());
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const std::vector<uint8_t>& bytes) {
  return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const uint8_t* data, size_t size) {
  return Napi::Buffer<uint8_t>::Copy(env, data, size);
}

}  // namespace tpm2

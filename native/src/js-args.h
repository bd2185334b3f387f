// Cheap re-checks of arguments at the C++ boundary. The TS layer validates fully; these only make sure a
// wrong type becomes a TypeError/RangeError instead of undefined behaviour (this module is a security boundary).
#pragma once

#include <napi.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tpm-context.h"

namespace tpm2 {

Napi::Value WrapContext(Napi::Env env, ContextPtr context);
ContextPtr ContextArg(const Napi::CallbackInfo& info, size_t index);

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name);
uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* name);
// Buffer or Uint8Array, copied; at most maxSize bytes.
std::vector<uint8_t> BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name, size_t maxSize);
// Array of [algId, pcrBitmask] pairs.
TPML_PCR_SELECTION PcrSelectionArg(const Napi::CallbackInfo& info, size_t index, const char* name);

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const std::vector<uint8_t>& bytes);
Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const uint8_t* data, size_t size);

// Copies bytes into a TPM2B's size and byte array after checking they fit.
void FillSized(UINT16& size, BYTE* buffer, size_t capacity, const std::vector<uint8_t>& bytes, const char* what);

template <typename T2B>
void FillTpm2b(T2B& target, const std::vector<uint8_t>& bytes, const char* what) {
  FillSized(target.size, target.buffer, sizeof(target.buffer), bytes, what);
}

}  // namespace tpm2

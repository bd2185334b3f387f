#include "tpm-failure.h"

#include <tss2/tss2_rc.h>

#include <cstdio>

namespace tpm2 {

std::string DescribeRc(TSS2_RC rc) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", rc);
  return std::string(Tss2_RC_Decode(rc)) + " (" + hex + ")";
}

void CheckRc(TSS2_RC rc, const char* command) {
  if (rc != TSS2_RC_SUCCESS) throw TpmFailure("TPM_RC", rc, std::string(command) + " failed: " + DescribeRc(rc));
}

Napi::Error MakeJsError(Napi::Env env, const FailureRecord& failure) {
  Napi::Error error = Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, failure.code));
  if (failure.rc != 0) {
    error.Set("rc", Napi::Number::New(env, failure.rc));
    error.Set("rcText", Napi::String::New(env, Tss2_RC_Decode(failure.rc)));
  }
  return error;
}

}  // namespace tpm2

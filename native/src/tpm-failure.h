// One funnel for native failures: a C++ exception carrying a stable code, the TSS2 response code and a message,
// turned into a JS Error {code, rc, rcText, message} on the main thread.
#pragma once

#include <napi.h>
#include <tss2/tss2_common.h>

#include <stdexcept>
#include <string>

namespace tpm2 {

class TpmFailure : public std::runtime_error {
 public:
  TpmFailure(std::string code, TSS2_RC rc, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)), rc_(rc) {}
  const std::string& code() const { return code_; }
  TSS2_RC rc() const { return rc_; }

 private:
  std::string code_;
  TSS2_RC rc_;
};

// Throws TpmFailure('TPM_RC') naming the command when rc is not success.
void CheckRc(TSS2_RC rc, const char* command);

// "Esys_Quote failed: tpm:...: (0x...)" with Tss2_RC_Decode text.
std::string DescribeRc(TSS2_RC rc);

// Plain data copy of a failure, kept in the worker until OnError runs on the main thread.
struct FailureRecord {
  std::string code = "NATIVE_FAILURE";
  TSS2_RC rc = 0;
  std::string message;
};

Napi::Error MakeJsError(Napi::Env env, const FailureRecord& failure);

}  // namespace tpm2

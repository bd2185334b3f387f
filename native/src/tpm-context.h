// An open ESYS context shared between the JS handle and in-flight workers, and the promise worker every
// operation runs in. ESAPI contexts are not thread-safe: each worker holds the context mutex for its whole run
// (the JS queue already keeps one command in flight; the mutex makes that a guarantee, not a convention).
#pragma once

#include <napi.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tpm-failure.h"

namespace tpm2 {

class TpmContext {
 public:
  // Connects through the TCTI loader and starts the TPM; throws TpmFailure('TPM_UNAVAILABLE').
  explicit TpmContext(const std::string& tcti);
  ~TpmContext();
  TpmContext(const TpmContext&) = delete;
  TpmContext& operator=(const TpmContext&) = delete;

  // The ESYS context; throws TpmFailure('TPM_CLOSED') once closed. Call with mutex held.
  ESYS_CONTEXT* esys();
  void Close();

  std::mutex mutex;

 private:
  void Release();
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

using ContextPtr = std::shared_ptr<TpmContext>;

// Bytes that may be secret (sealed data, credentials, random keys): wiped when dropped.
class SecretBytes {
 public:
  SecretBytes() = default;
  SecretBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}
  ~SecretBytes() { Wipe(); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  std::vector<uint8_t>& get() { return bytes_; }
  const std::vector<uint8_t>& get() const { return bytes_; }
  void Wipe() {
    if (!bytes_.empty()) explicit_bzero(bytes_.data(), bytes_.size());
  }

 private:
  std::vector<uint8_t> bytes_;
};

// Owns memory ESAPI allocated for an output parameter.
template <typename T>
struct EsysDeleter {
  void operator()(T* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysDeleter<T>>;

// Owns memory ESAPI allocated for a secret output: wiped before it is freed.
template <typename T>
struct EsysSecretDeleter {
  void operator()(T* p) const {
    if (p != nullptr) explicit_bzero(p, sizeof(T));
    Esys_Free(p);
  }
};
template <typename T>
using EsysSecretPtr = std::unique_ptr<T, EsysSecretDeleter<T>>;

// Flushes a transient object or session on scope exit (swtpm has only 3 object slots, so nothing may leak).
class ScopedFlush {
 public:
  ScopedFlush(ESYS_CONTEXT* esys, ESYS_TR handle) : esys_(esys), handle_(handle) {}
  ~ScopedFlush() {
    if (handle_ != ESYS_TR_NONE) Esys_FlushContext(esys_, handle_);
  }
  ScopedFlush(const ScopedFlush&) = delete;
  ScopedFlush& operator=(const ScopedFlush&) = delete;

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR handle_;
};

// Marshals a TPM structure with its Tss2_MU_*_Marshal function into wire bytes.
template <typename T, typename Fn>
std::vector<uint8_t> Marshal(const T& value, Fn marshal, const char* what) {
  std::vector<uint8_t> out(sizeof(T) + 16);
  size_t offset = 0;
  TSS2_RC rc = marshal(&value, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) throw TpmFailure("MARSHAL_FAILED", rc, std::string("Marshalling ") + what + " failed");
  out.resize(offset);
  return out;
}

// Unmarshals wire bytes that must be consumed completely.
template <typename T, typename Fn>
T Unmarshal(const std::vector<uint8_t>& bytes, Fn unmarshal, const char* what) {
  T value{};
  size_t offset = 0;
  TSS2_RC rc = unmarshal(bytes.data(), bytes.size(), &offset, &value);
  if (rc != TSS2_RC_SUCCESS || offset != bytes.size()) {
    throw TpmFailure("INVALID_STRUCTURE", rc,
                     std::string("Expected a well-formed ") + what + " of " + std::to_string(bytes.size()) +
                         " bytes but unmarshalling " + (rc != TSS2_RC_SUCCESS ? "failed" : "left trailing bytes"));
  }
  return value;
}

// Operation baton contract: `void Run(TpmContext&)` on a worker thread (no N-API),
// `Napi::Value Result(Napi::Env)` on the main thread.
template <typename Baton>
class TpmWorker : public Napi::AsyncWorker {
 public:
  TpmWorker(Napi::Env env, ContextPtr context, std::unique_ptr<Baton> baton)
      : Napi::AsyncWorker(env, "tpm2"),
        context_(std::move(context)),
        baton_(std::move(baton)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      std::lock_guard<std::mutex> lock(context_->mutex);
      baton_->Run(*context_);
    } catch (const TpmFailure& failure) {
      Fail(failure.code(), failure.rc(), failure.what());
    } catch (const std::exception& error) {
      Fail("NATIVE_FAILURE", 0, error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(baton_->Result(Env())); }
  void OnError(const Napi::Error& /*unused*/) override {
    deferred_.Reject(MakeJsError(Env(), failure_).Value());
  }

 private:
  void Fail(const std::string& code, TSS2_RC rc, const std::string& message) {
    failure_ = FailureRecord{code, rc, message};
    SetError(message);
  }
  ContextPtr context_;
  std::unique_ptr<Baton> baton_;
  Napi::Promise::Deferred deferred_;
  FailureRecord failure_;
};

// Queues `baton` on `context` and returns its promise.
template <typename Baton>
Napi::Value RunAsync(Napi::Env env, ContextPtr context, std::unique_ptr<Baton> baton) {
  auto* worker = new TpmWorker<Baton>(env, std::move(context), std::move(baton));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace tpm2

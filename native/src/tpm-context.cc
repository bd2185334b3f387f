#include "tpm-context.h"

#include "js-args.h"

namespace tpm2 {

TpmContext::TpmContext(const std::string& tcti) {
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_);
  if (rc != TSS2_RC_SUCCESS) {
    throw TpmFailure("TPM_UNAVAILABLE", rc, "Expected a TPM at " + tcti + " but connecting failed: " + DescribeRc(rc));
  }
  rc = Esys_Initialize(&esys_, tcti_, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Release();
    throw TpmFailure("TPM_UNAVAILABLE", rc,
                     "Expected a TPM at " + tcti + " but initialising ESAPI failed: " + DescribeRc(rc));
  }
  // A TPM started by firmware (or swtpm with startup-clear) answers TPM2_RC_INITIALIZE: already started.
  rc = Esys_Startup(esys_, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
    Release();
    throw TpmFailure("TPM_UNAVAILABLE", rc, "Expected a TPM at " + tcti + " but TPM2_Startup failed: " + DescribeRc(rc));
  }
}

TpmContext::~TpmContext() {
  std::lock_guard<std::mutex> lock(mutex);
  Release();
}

ESYS_CONTEXT* TpmContext::esys() {
  if (esys_ == nullptr) throw TpmFailure("TPM_CLOSED", 0, "Expected an open TPM context but it was closed");
  return esys_;
}

void TpmContext::Close() { Release(); }

void TpmContext::Release() {
  if (esys_ != nullptr) Esys_Finalize(&esys_);
  if (tcti_ != nullptr) Tss2_TctiLdr_Finalize(&tcti_);
  esys_ = nullptr;
  tcti_ = nullptr;
}

namespace {

class OpenWorker : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, std::string tcti)
      : Napi::AsyncWorker(env, "tpm2.open"), tcti_(std::move(tcti)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      context_ = std::make_shared<TpmContext>(tcti_);
    } catch (const TpmFailure& failure) {
      failure_ = FailureRecord{failure.code(), failure.rc(), failure.what()};
      SetError(failure.what());
    } catch (const std::exception& error) {
      failure_ = FailureRecord{"TPM_UNAVAILABLE", 0, std::string("Expected a TPM at ") + tcti_ + " but " + error.what()};
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(WrapContext(Env(), std::move(context_))); }
  void OnError(const Napi::Error& /*unused*/) override { deferred_.Reject(MakeJsError(Env(), failure_).Value()); }

 private:
  std::string tcti_;
  Napi::Promise::Deferred deferred_;
  ContextPtr context_;
  FailureRecord failure_;
};

struct CloseBaton {
  void Run(TpmContext& context) { context.Close(); }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

}  // namespace

// open(tcti: string) → Promise<context>
Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string tcti = StringArg(info, 0, "tcti");
  auto* worker = new OpenWorker(info.Env(), std::move(tcti));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// close(context) → Promise<void>; later operations fail with TPM_CLOSED.
Napi::Value Close(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), ContextArg(info, 0), std::make_unique<CloseBaton>());
}

}  // namespace tpm2

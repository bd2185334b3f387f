// NV indices: define, undefine, read and write (in chunks the TPM accepts), and an existence check.
// Authorisation follows the index attributes: owner if OWNER{READ,WRITE} is set, else the index's own (empty)
// auth value, else the platform hierarchy.
#include "operations.h"

namespace tpm2 {

namespace {

// Conservative chunk size; every TPM 2.0 accepts at least 512 bytes per NV command (TPM2_PT_NV_BUFFER_MAX).
constexpr size_t kNvChunk = 512;

// An ESYS_TR for an existing NV index, closed (not undefined) on scope exit.
class NvHandle {
 public:
  NvHandle(ESYS_CONTEXT* esys, uint32_t index) : esys_(esys) {
    CheckRc(Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &handle_),
            "Esys_TR_FromTPMPublic");
  }
  ~NvHandle() {
    if (handle_ != ESYS_TR_NONE) Esys_TR_Close(esys_, &handle_);
  }
  NvHandle(const NvHandle&) = delete;
  NvHandle& operator=(const NvHandle&) = delete;
  ESYS_TR get() const { return handle_; }
  // After a successful undefine ESAPI has already released the object.
  void Forget() { handle_ = ESYS_TR_NONE; }

  TPMS_NV_PUBLIC Public() const {
    TPM2B_NV_PUBLIC* pubRaw = nullptr;
    TPM2B_NAME* nameRaw = nullptr;
    CheckRc(Esys_NV_ReadPublic(esys_, handle_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pubRaw, &nameRaw),
            "Esys_NV_ReadPublic");
    EsysPtr<TPM2B_NV_PUBLIC> pub(pubRaw);
    EsysPtr<TPM2B_NAME> name(nameRaw);
    return pub->nvPublic;
  }

 private:
  ESYS_CONTEXT* esys_;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

ESYS_TR AuthFor(const NvHandle& nv, TPMA_NV attributes, TPMA_NV ownerBit, TPMA_NV authBit) {
  if ((attributes & ownerBit) != 0) return ESYS_TR_RH_OWNER;
  if ((attributes & authBit) != 0) return nv.get();
  return ESYS_TR_RH_PLATFORM;
}

void CheckRange(const TPMS_NV_PUBLIC& pub, uint32_t offset, uint32_t size) {
  if (static_cast<uint64_t>(offset) + size > pub.dataSize) {
    throw TpmFailure("NV_RANGE", 0,
                     "Expected offset + size within the index's " + std::to_string(pub.dataSize) +
                         " bytes but received offset " + std::to_string(offset) + " and size " + std::to_string(size));
  }
}

struct NvDefineBaton {
  uint32_t index = 0;
  uint32_t size = 0;
  uint32_t attributes = 0;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    TPM2B_AUTH auth{};
    TPM2B_NV_PUBLIC info{};
    info.nvPublic.nvIndex = index;
    info.nvPublic.nameAlg = TPM2_ALG_SHA256;
    info.nvPublic.attributes = attributes;
    info.nvPublic.dataSize = static_cast<UINT16>(size);
    ESYS_TR handle = ESYS_TR_NONE;
    CheckRc(Esys_NV_DefineSpace(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth, &info,
                                &handle),
            "Esys_NV_DefineSpace");
    Esys_TR_Close(esys, &handle);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

struct NvUndefineBaton {
  uint32_t index = 0;
  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    NvHandle nv(esys, index);
    CheckRc(Esys_NV_UndefineSpace(esys, ESYS_TR_RH_OWNER, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
            "Esys_NV_UndefineSpace");
    nv.Forget();
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

struct NvReadBaton {
  uint32_t index = 0;
  bool wholeIndex = true;
  uint32_t size = 0;
  uint32_t offset = 0;
  SecretBytes data;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    NvHandle nv(esys, index);
    TPMS_NV_PUBLIC pub = nv.Public();
    if (wholeIndex) size = offset <= pub.dataSize ? pub.dataSize - offset : 0;
    CheckRange(pub, offset, size);
    ESYS_TR auth = AuthFor(nv, pub.attributes, TPMA_NV_OWNERREAD, TPMA_NV_AUTHREAD);
    data.get().reserve(size);
    while (data.get().size() < size) {
      size_t chunk = std::min(kNvChunk, size - data.get().size());
      TPM2B_MAX_NV_BUFFER* partRaw = nullptr;
      CheckRc(Esys_NV_Read(esys, auth, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           static_cast<UINT16>(chunk), static_cast<UINT16>(offset + data.get().size()), &partRaw),
              "Esys_NV_Read");
      EsysSecretPtr<TPM2B_MAX_NV_BUFFER> part(partRaw);
      if (part->size == 0) throw TpmFailure("TPM_RC", 0, "Esys_NV_Read returned no bytes");
      data.get().insert(data.get().end(), part->buffer, part->buffer + part->size);
    }
  }
  Napi::Value Result(Napi::Env env) { return ToBuffer(env, data.get()); }
};

struct NvWriteBaton {
  uint32_t index = 0;
  uint32_t offset = 0;
  SecretBytes data;

  void Run(TpmContext& context) {
    ESYS_CONTEXT* esys = context.esys();
    NvHandle nv(esys, index);
    TPMS_NV_PUBLIC pub = nv.Public();
    CheckRange(pub, offset, static_cast<uint32_t>(data.get().size()));
    ESYS_TR auth = AuthFor(nv, pub.attributes, TPMA_NV_OWNERWRITE, TPMA_NV_AUTHWRITE);
    for (size_t done = 0; done < data.get().size();) {
      size_t chunk = std::min(kNvChunk, data.get().size() - done);
      TPM2B_MAX_NV_BUFFER part{};
      part.size = static_cast<UINT16>(chunk);
      std::memcpy(part.buffer, data.get().data() + done, chunk);
      TSS2_RC rc = Esys_NV_Write(esys, auth, nv.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &part,
                                 static_cast<UINT16>(offset + done));
      explicit_bzero(&part, sizeof(part));
      CheckRc(rc, "Esys_NV_Write");
      done += chunk;
    }
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

struct NvIsDefinedBaton {
  uint32_t index = 0;
  bool defined = false;
  void Run(TpmContext& context) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* capsRaw = nullptr;
    CheckRc(Esys_GetCapability(context.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, index, 1,
                               &more, &capsRaw),
            "Esys_GetCapability");
    EsysPtr<TPMS_CAPABILITY_DATA> caps(capsRaw);
    defined = caps->data.handles.count > 0 && caps->data.handles.handle[0] == index;
  }
  Napi::Value Result(Napi::Env env) { return Napi::Boolean::New(env, defined); }
};

uint32_t NvIndexArg(const Napi::CallbackInfo& info, size_t position) {
  uint32_t index = Uint32Arg(info, position, "index");
  if ((index >> 24) != TPM2_HT_NV_INDEX) throw Napi::RangeError::New(info.Env(), "Expected an NV index for index");
  return index;
}

}  // namespace

// nvDefine(context, index, size, attributes) → Promise<void>
Napi::Value NvDefine(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<NvDefineBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->index = NvIndexArg(info, 1);
  baton->size = Uint32Arg(info, 2, "size");
  if (baton->size > 0xffff) throw Napi::RangeError::New(info.Env(), "Expected integer 0-65535 for size");
  baton->attributes = Uint32Arg(info, 3, "attributes");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// nvUndefine(context, index) → Promise<void>
Napi::Value NvUndefine(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<NvUndefineBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->index = NvIndexArg(info, 1);
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// nvRead(context, index, size | undefined, offset) → Promise<Buffer>
Napi::Value NvRead(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<NvReadBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->index = NvIndexArg(info, 1);
  baton->wholeIndex = info[2].IsUndefined();
  if (!baton->wholeIndex) baton->size = Uint32Arg(info, 2, "size");
  baton->offset = Uint32Arg(info, 3, "offset");
  if (baton->size > 0xffff || baton->offset > 0xffff) {
    throw Napi::RangeError::New(info.Env(), "Expected integers 0-65535 for size and offset");
  }
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// nvWrite(context, index, data, offset) → Promise<void>
Napi::Value NvWrite(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<NvWriteBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->index = NvIndexArg(info, 1);
  baton->data.get() = BytesArg(info, 2, "data", 0xffff);
  baton->offset = Uint32Arg(info, 3, "offset");
  if (baton->offset > 0xffff) throw Napi::RangeError::New(info.Env(), "Expected integer 0-65535 for offset");
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

// nvIsDefined(context, index) → Promise<boolean>
Napi::Value NvIsDefined(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<NvIsDefinedBaton>();
  ContextPtr context = ContextArg(info, 0);
  baton->index = NvIndexArg(info, 1);
  return RunAsync(info.Env(), std::move(context), std::move(baton));
}

}  // namespace tpm2

// Legacy TEE guest ioctls: SNP_GET_REPORT / SNP_GET_EXT_REPORT on /dev/sev-guest and TDX_CMD_GET_REPORT0 on
// /dev/tdx_guest. The structs are declared here (not taken from <linux/*.h>) because distribution headers lag
// behind the kernel ABI (tdx-guest.h is often missing); static_asserts pin the layouts the ioctl numbers encode.
// Each call runs on a worker thread with a baton of plain C++ data; N-API is touched only on the main thread.
#include "tee-guest.h"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace tee_guest {
namespace {

// --- AMD SEV-SNP guest ABI (include/uapi/linux/sev-guest.h) ---
struct SnpReportReq {
  uint8_t user_data[64];
  uint32_t vmpl;
  uint8_t rsvd[28];
};
static_assert(sizeof(SnpReportReq) == 96, "snp_report_req is 96 bytes");

struct SnpReportResp {
  uint8_t data[4000];
};

struct SnpGuestRequestIoctl {
  uint8_t msg_version;
  uint64_t req_data;
  uint64_t resp_data;
  uint64_t exitinfo2;  // bits 63:32 VMM error, bits 31:0 firmware error
};
static_assert(sizeof(SnpGuestRequestIoctl) == 32, "snp_guest_request_ioctl is 32 bytes");

struct SnpExtReportReq {
  SnpReportReq data;
  uint64_t certs_address;
  uint32_t certs_len;
};
static_assert(sizeof(SnpExtReportReq) == 112, "snp_ext_report_req is 112 bytes");

constexpr unsigned long kSnpGetReport = _IOWR('S', 0x0, SnpGuestRequestIoctl);
constexpr unsigned long kSnpGetExtReport = _IOWR('S', 0x2, SnpGuestRequestIoctl);
constexpr uint32_t kSnpVmmErrInvalidLen = 1;
// MSG_REPORT_RSP: status (u32), report_size (u32), 24 reserved bytes, then the report.
constexpr size_t kSnpReportRespHeader = 32;
constexpr size_t kPageSize = 4096;
// The host tells us the size it needs when our certificate buffer is too small; cap it so a hostile host cannot
// make us allocate without bound.
constexpr uint32_t kMaxCertsLen = 64 * 4096;

// --- Intel TDX guest ABI (include/uapi/linux/tdx-guest.h) ---
struct TdxReportReq {
  uint8_t reportdata[64];
  uint8_t tdreport[1024];
};
static_assert(sizeof(TdxReportReq) == 1088, "tdx_report_req is 1088 bytes");

constexpr unsigned long kTdxCmdGetReport0 = _IOWR('T', 1, TdxReportReq);

// Everything a failure carries back to JavaScript; `code` is mapped to a ConstellationError in native/tee-guest.ts.
struct Failure {
  std::string code;     // TEE_DEVICE_UNAVAILABLE | TEE_IOCTL_FAILED | TEE_FIRMWARE_ERROR
  std::string message;
  std::string syscall;  // open | ioctl
  int err = 0;          // errno, 0 when none
  uint32_t fwError = 0;
  uint32_t vmmError = 0;
};

// Closes the descriptor on every path out of a worker.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The certificate buffer must be page aligned and a whole number of pages (the kernel maps it for the host).
struct PageBuffer {
  explicit PageBuffer(size_t len) : len(len) {
    void* p = nullptr;
    if (posix_memalign(&p, kPageSize, len) == 0) {
      data = static_cast<uint8_t*>(p);
      std::memset(data, 0, len);
    }
  }
  ~PageBuffer() { std::free(data); }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  uint8_t* data = nullptr;
  size_t len;
};

std::string ErrnoText(int err) { return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")"; }

bool OpenDevice(const std::string& path, int* fd, Failure* failure) {
  *fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (*fd >= 0) return true;
  failure->err = errno;
  failure->syscall = "open";
  failure->code = (errno == ENOENT || errno == ENODEV || errno == ENXIO) ? "TEE_DEVICE_UNAVAILABLE" : "TEE_IOCTL_FAILED";
  failure->message = "Could not open " + path + ": " + ErrnoText(errno);
  return false;
}

uint32_t RoundUpToPages(uint32_t len) {
  return static_cast<uint32_t>(((static_cast<uint64_t>(len) + kPageSize - 1) / kPageSize) * kPageSize);
}

// Resolves or rejects one Promise; subclasses fill `failure_` (failed_ = true) or their result in Execute().
class TeeWorker : public Napi::AsyncWorker {
 public:
  explicit TeeWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual Napi::Value Result(Napi::Env env) = 0;

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!failed_) {
      deferred_.Resolve(Result(env));
      return;
    }
    Napi::Object error = Napi::Error::New(env, failure_.message).Value();
    error.Set("code", Napi::String::New(env, failure_.code));
    error.Set("syscall", Napi::String::New(env, failure_.syscall));
    error.Set("errno", Napi::Number::New(env, failure_.err));
    error.Set("fwError", Napi::Number::New(env, failure_.fwError));
    error.Set("vmmError", Napi::Number::New(env, failure_.vmmError));
    deferred_.Reject(error);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  bool failed_ = false;
  Failure failure_;

 private:
  Napi::Promise::Deferred deferred_;
};

class SnpReportWorker : public TeeWorker {
 public:
  SnpReportWorker(Napi::Env env, std::string path, const uint8_t* reportData, uint32_t vmpl, bool extended,
                  uint32_t certsLen)
      : TeeWorker(env), path_(std::move(path)), vmpl_(vmpl), extended_(extended), certsLen_(certsLen) {
    std::memcpy(reportData_, reportData, sizeof(reportData_));
  }

  void Execute() override {
    int raw = -1;
    if (!OpenDevice(path_, &raw, &failure_)) {
      failed_ = true;
      return;
    }
    Fd fd(raw);
    if (extended_) {
      ExecuteExtended(fd.get());
    } else {
      ExecutePlain(fd.get());
    }
  }

 private:
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("report", Napi::Buffer<uint8_t>::Copy(env, report_.data(), report_.size()));
    if (extended_) out.Set("certs", Napi::Buffer<uint8_t>::Copy(env, certs_.data(), certs_.size()));
    return out;
  }

  void FillRequest(SnpReportReq* req) const {
    std::memset(req, 0, sizeof(*req));
    std::memcpy(req->user_data, reportData_, sizeof(reportData_));
    req->vmpl = vmpl_;
  }

  // Returns false (and fills failure_) when the ioctl failed; `err` receives errno for the caller's retry logic.
  bool Issue(int fd, unsigned long request, void* req, SnpReportResp* resp, int* err, uint32_t* vmmError) {
    SnpGuestRequestIoctl io{};
    io.msg_version = 1;
    io.req_data = reinterpret_cast<uintptr_t>(req);
    io.resp_data = reinterpret_cast<uintptr_t>(resp);
    if (ioctl(fd, request, &io) == 0) return ParseResponse(*resp);
    *err = errno;
    *vmmError = static_cast<uint32_t>(io.exitinfo2 >> 32);
    failed_ = true;
    failure_.err = errno;
    failure_.syscall = "ioctl";
    failure_.fwError = static_cast<uint32_t>(io.exitinfo2 & 0xffffffffu);
    failure_.vmmError = *vmmError;
    failure_.code = (failure_.fwError != 0 || failure_.vmmError != 0) ? "TEE_FIRMWARE_ERROR" : "TEE_IOCTL_FAILED";
    failure_.message = std::string(request == kSnpGetReport ? "SNP_GET_REPORT" : "SNP_GET_EXT_REPORT") + " on " +
                       path_ + " failed: " + ErrnoText(errno) + ", firmware error 0x" + Hex(failure_.fwError) +
                       ", VMM error 0x" + Hex(failure_.vmmError);
    return false;
  }

  bool ParseResponse(const SnpReportResp& resp) {
    uint32_t status = 0;
    uint32_t size = 0;
    std::memcpy(&status, resp.data, 4);  // little-endian on every SNP host
    std::memcpy(&size, resp.data + 4, 4);
    if (status != 0) {
      failed_ = true;
      failure_.code = "TEE_FIRMWARE_ERROR";
      failure_.syscall = "ioctl";
      failure_.fwError = status;
      failure_.message = "SNP firmware rejected MSG_REPORT_REQ with status 0x" + Hex(status);
      return false;
    }
    if (size == 0 || size > sizeof(resp.data) - kSnpReportRespHeader) {
      failed_ = true;
      failure_.code = "TEE_IOCTL_FAILED";
      failure_.syscall = "ioctl";
      failure_.message = "Expected a report size between 1 and " +
                         std::to_string(sizeof(resp.data) - kSnpReportRespHeader) +
                         " bytes in MSG_REPORT_RSP but received " + std::to_string(size);
      return false;
    }
    report_.assign(resp.data + kSnpReportRespHeader, resp.data + kSnpReportRespHeader + size);
    return true;
  }

  void ExecutePlain(int fd) {
    SnpReportReq req;
    FillRequest(&req);
    SnpReportResp resp{};
    int err = 0;
    uint32_t vmmError = 0;
    Issue(fd, kSnpGetReport, &req, &resp, &err, &vmmError);
  }

  void ExecuteExtended(int fd) {
    uint32_t len = RoundUpToPages(certsLen_);
    // One retry: the first failure with VMM error INVALID_LEN tells us the size the host needs.
    for (int attempt = 0; attempt < 2; ++attempt) {
      PageBuffer certs(len);
      if (certs.data == nullptr) {
        failed_ = true;
        failure_.code = "TEE_IOCTL_FAILED";
        failure_.message = "Could not allocate " + std::to_string(len) + " bytes for the SNP certificate table";
        return;
      }
      SnpExtReportReq req{};
      FillRequest(&req.data);
      req.certs_address = reinterpret_cast<uintptr_t>(certs.data);
      req.certs_len = len;
      SnpReportResp resp{};
      int err = 0;
      uint32_t vmmError = 0;
      if (Issue(fd, kSnpGetExtReport, &req, &resp, &err, &vmmError)) {
        certs_.assign(certs.data, certs.data + len);
        return;
      }
      if (!(err == EIO && vmmError == kSnpVmmErrInvalidLen) || attempt == 1) return;
      if (req.certs_len <= len || req.certs_len > kMaxCertsLen) {
        failure_.message += "; host asked for a certificate buffer of " + std::to_string(req.certs_len) +
                            " bytes (at most " + std::to_string(kMaxCertsLen) + " accepted)";
        return;
      }
      len = RoundUpToPages(req.certs_len);
      failed_ = false;
      failure_ = Failure{};
    }
  }

  static std::string Hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%x", v);
    return buf;
  }

  std::string path_;
  uint8_t reportData_[64];
  uint32_t vmpl_;
  bool extended_;
  uint32_t certsLen_;
  std::vector<uint8_t> report_;
  std::vector<uint8_t> certs_;
};

class TdxReportWorker : public TeeWorker {
 public:
  TdxReportWorker(Napi::Env env, std::string path, const uint8_t* reportData) : TeeWorker(env), path_(std::move(path)) {
    std::memcpy(reportData_, reportData, sizeof(reportData_));
  }

  void Execute() override {
    int raw = -1;
    if (!OpenDevice(path_, &raw, &failure_)) {
      failed_ = true;
      return;
    }
    Fd fd(raw);
    TdxReportReq req{};
    std::memcpy(req.reportdata, reportData_, sizeof(reportData_));
    if (ioctl(fd.get(), kTdxCmdGetReport0, &req) != 0) {
      failed_ = true;
      failure_.err = errno;
      failure_.syscall = "ioctl";
      failure_.code = "TEE_IOCTL_FAILED";
      failure_.message = "TDX_CMD_GET_REPORT0 on " + path_ + " failed: " + ErrnoText(errno);
      return;
    }
    tdreport_.assign(req.tdreport, req.tdreport + sizeof(req.tdreport));
  }

 private:
  Napi::Value Result(Napi::Env env) override {
    return Napi::Buffer<uint8_t>::Copy(env, tdreport_.data(), tdreport_.size());
  }

  std::string path_;
  uint8_t reportData_[64];
  std::vector<uint8_t> tdreport_;
};

// The JS layer validates arguments; these checks only keep a wrong call from reading out of bounds.
bool TakeReportData(const Napi::CallbackInfo& info, size_t index, const uint8_t** out) {
  if (info.Length() <= index || !info[index].IsBuffer() || info[index].As<Napi::Buffer<uint8_t>>().Length() != 64) {
    Napi::TypeError::New(info.Env(), "Expected a 64-byte Buffer for reportData").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[index].As<Napi::Buffer<uint8_t>>().Data();
  return true;
}

bool TakePath(const Napi::CallbackInfo& info, std::string* out) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "Expected a device path string for path").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[0].As<Napi::String>().Utf8Value();
  return true;
}

bool TakeUint32(const Napi::CallbackInfo& info, size_t index, const char* name, uint32_t max, uint32_t* out) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string("Expected a number for ") + name).ThrowAsJavaScriptException();
    return false;
  }
  double v = info[index].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= max) || v != static_cast<double>(static_cast<uint32_t>(v))) {
    Napi::RangeError::New(info.Env(), std::string("Expected an integer 0..") + std::to_string(max) + " for " + name)
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

// snpGetReport(path: string, reportData: Buffer(64), vmpl: 0..3, extended: boolean, certsLen: number)
//   → Promise<{report: Buffer, certs?: Buffer}>
Napi::Value SnpGetReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  const uint8_t* reportData = nullptr;
  uint32_t vmpl = 0;
  uint32_t certsLen = 0;
  if (!TakePath(info, &path) || !TakeReportData(info, 1, &reportData) || !TakeUint32(info, 2, "vmpl", 3, &vmpl)) {
    return env.Undefined();
  }
  if (info.Length() < 4 || !info[3].IsBoolean()) {
    Napi::TypeError::New(env, "Expected a boolean for extended").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool extended = info[3].As<Napi::Boolean>().Value();
  if (!TakeUint32(info, 4, "certsLen", kMaxCertsLen, &certsLen)) return env.Undefined();
  auto* worker = new SnpReportWorker(env, path, reportData, vmpl, extended, certsLen);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// tdxGetReport0(path: string, reportData: Buffer(64)) → Promise<Buffer /* 1024-byte TDREPORT */>
Napi::Value TdxGetReport0(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  const uint8_t* reportData = nullptr;
  if (!TakePath(info, &path) || !TakeReportData(info, 1, &reportData)) return env.Undefined();
  auto* worker = new TdxReportWorker(env, path, reportData);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("snpGetReport", Napi::Function::New(env, SnpGetReport, "snpGetReport"));
  exports.Set("tdxGetReport0", Napi::Function::New(env, TdxGetReport0, "tdxGetReport0"));
  // Exposed so tests can pin the ABI against the kernel's documented request numbers.
  Napi::Object ioctls = Napi::Object::New(env);
  ioctls.Set("SNP_GET_REPORT", Napi::Number::New(env, static_cast<double>(kSnpGetReport)));
  ioctls.Set("SNP_GET_EXT_REPORT", Napi::Number::New(env, static_cast<double>(kSnpGetExtReport)));
  ioctls.Set("TDX_CMD_GET_REPORT0", Napi::Number::New(env, static_cast<double>(kTdxCmdGetReport0)));
  exports.Set("ioctls", ioctls);
  exports.Set("maxCertsLen", Napi::Number::New(env, kMaxCertsLen));
  return exports;
}

}  // namespace tee_guest

#ifndef TEE_GUEST_NO_MODULE
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tee_guest::Init(env, exports); }
NODE_API_MODULE(tee_guest, InitModule)
#endif

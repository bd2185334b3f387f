// Unix datagram sockets for systemd: sd_notify ("READY=1" to $NOTIFY_SOCKET) and the journald native protocol
// both are one sendto() on an AF_UNIX SOCK_DGRAM socket, which Node's core cannot do. A receiver (bind + recv) is
// here too, so tests can stand in for systemd with a real socket. Paths starting with '@' are abstract names.
// Each blocking call runs on a worker thread with plain C++ data; N-API is touched only on the main thread.
#include <napi.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace sd_notify {
namespace {

constexpr size_t kMaxDatagram = 8 * 1024 * 1024;

// Fills `addr` for `path`; '@name' becomes the abstract name "\0name". Returns the address length, 0 if too long.
socklen_t MakeAddress(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) return 0;
  std::memcpy(addr->sun_path, path.data(), path.size());
  if (path[0] == '@') addr->sun_path[0] = '\0';
  // Abstract names are exactly as long as given; filesystem paths are NUL-terminated.
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
}

std::string Describe(const char* what, int err) { return std::string(what) + " failed: " + std::strerror(err); }

Napi::Error SocketError(Napi::Env env, const std::string& message, const char* syscall, int err) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, "DATAGRAM_SOCKET_FAILED"));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.Set("errno", Napi::Number::New(env, err));
  return error;
}

class DatagramWorker : public Napi::AsyncWorker {
 public:
  explicit DatagramWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual Napi::Value Result(Napi::Env env) = 0;
  void Fail(const char* syscall, int err) {
    syscall_ = syscall;
    errno_ = err;
    SetError(Describe(syscall, err));
  }
  void OnOK() override { deferred_.Resolve(Result(Env())); }
  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    deferred_.Reject(SocketError(env, e.Message(), syscall_, errno_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  const char* syscall_ = "";
  int errno_ = 0;
};

class SendWorker : public DatagramWorker {
 public:
  SendWorker(Napi::Env env, std::string path, std::vector<uint8_t> data)
      : DatagramWorker(env), path_(std::move(path)), data_(std::move(data)) {}
  void Execute() override {
    sockaddr_un addr;
    socklen_t length = MakeAddress(path_, &addr);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail("socket", errno);
    ssize_t sent;
    do {
      sent = sendto(fd, data_.data(), data_.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), length);
    } while (sent < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (sent < 0) return Fail("sendto", err);
    if (static_cast<size_t>(sent) != data_.size()) return Fail("sendto", EMSGSIZE);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::string path_;
  std::vector<uint8_t> data_;
};

class ReceiveWorker : public DatagramWorker {
 public:
  ReceiveWorker(Napi::Env env, int fd, size_t maxBytes, int timeoutMs)
      : DatagramWorker(env), fd_(fd), buffer_(maxBytes), timeoutMs_(timeoutMs) {}
  void Execute() override {
    pollfd p{fd_, POLLIN, 0};
    int ready;
    do {
      ready = poll(&p, 1, timeoutMs_);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return Fail("poll", errno);
    if (ready == 0) return;  // timed out: resolves null
    ssize_t got;
    do {
      got = recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return Fail("recv", errno);
    received_ = true;
    buffer_.resize(static_cast<size_t>(got));
  }
  Napi::Value Result(Napi::Env env) override {
    if (!received_) return env.Null();
    return Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), buffer_.size());
  }

 private:
  int fd_;
  std::vector<uint8_t> buffer_;
  int timeoutMs_;
  bool received_ = false;
};

bool TakePath(const Napi::CallbackInfo& info, std::string* path) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "Expected a string for path").ThrowAsJavaScriptException();
    return false;
  }
  *path = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un addr;
  if (MakeAddress(*path, &addr) == 0) {
    Napi::TypeError::New(info.Env(), "Expected a socket path of 1 to 107 bytes").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool TakeInt(const Napi::CallbackInfo& info, size_t index, const char* name, double max, int64_t* out) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string("Expected a number for ") + name).ThrowAsJavaScriptException();
    return false;
  }
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= max) || value != static_cast<double>(static_cast<int64_t>(value))) {
    Napi::RangeError::New(info.Env(), std::string("Expected an integer in range for ") + name)
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

// sendDatagram(path: string, data: Buffer) → Promise<void>
Napi::Value SendDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!TakePath(info, &path)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "Expected a Buffer for data").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  if (data.Length() > kMaxDatagram) {
    Napi::RangeError::New(env, "Expected at most 8 MiB for data").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new SendWorker(env, path, std::vector<uint8_t>(data.Data(), data.Data() + data.Length()));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// bindDatagram(path: string) → number: a bound receiving socket (close it with closeDatagram).
Napi::Value BindDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!TakePath(info, &path)) return env.Undefined();
  sockaddr_un addr;
  socklen_t length = MakeAddress(path, &addr);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    SocketError(env, Describe("socket", errno), "socket", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), length) != 0) {
    int err = errno;
    close(fd);
    SocketError(env, Describe("bind", err), "bind", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// receiveDatagram(fd: number, maxBytes: number, timeoutMs: number) → Promise<Buffer | null> (null on timeout)
Napi::Value ReceiveDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = 0, maxBytes = 0, timeoutMs = 0;
  if (!TakeInt(info, 0, "fd", 1 << 30, &fd) || !TakeInt(info, 1, "maxBytes", kMaxDatagram, &maxBytes) ||
      !TakeInt(info, 2, "timeoutMs", 1 << 30, &timeoutMs)) {
    return env.Undefined();
  }
  auto* worker = new ReceiveWorker(env, static_cast<int>(fd), static_cast<size_t>(maxBytes), static_cast<int>(timeoutMs));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// closeDatagram(fd: number) → void
Napi::Value CloseDatagram(const Napi::CallbackInfo& info) {
  int64_t fd = 0;
  if (!TakeInt(info, 0, "fd", 1 << 30, &fd)) return info.Env().Undefined();
  close(static_cast<int>(fd));
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sendDatagram", Napi::Function::New(env, SendDatagram, "sendDatagram"));
  exports.Set("bindDatagram", Napi::Function::New(env, BindDatagram, "bindDatagram"));
  exports.Set("receiveDatagram", Napi::Function::New(env, ReceiveDatagram, "receiveDatagram"));
  exports.Set("closeDatagram", Napi::Function::New(env, CloseDatagram, "closeDatagram"));
  return exports;
}

}  // namespace sd_notify

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return sd_notify::Init(env, exports); }
NODE_API_MODULE(systemd, InitModule)

// TEE guest-device access for the issuers: SEV-SNP reports through /dev/sev-guest and TDX TDREPORTs through
// /dev/tdx_guest. These are the legacy ioctl paths, used only when configfs-tsm (Linux >= 6.7) is absent; the
// TypeScript side (native/tee-guest.ts) validates every argument before calling in here.
#pragma once

#include <napi.h>

namespace tee_guest {

// Adds snpGetReport and tdxGetReport0 to `exports`. Both return Promises; the ioctl runs on a worker thread.
Napi::Object Init(Napi::Env env, Napi::Object exports);

}  // namespace tee_guest

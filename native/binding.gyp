{
  "variables": {
    "tss2_packages": "tss2-esys tss2-tctildr tss2-mu tss2-rc"
  },
  "target_defaults": {
    "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"]
  },
  "targets": [
    {
      "target_name": "tpm2-<(OS)-<(target_arch)",
      "sources": [
        "src/tpm-addon.cc",
        "src/tpm-context.cc",
        "src/tpm-failure.cc",
        "src/js-args.cc",
        "src/tpm-templates.cc",
        "src/random.cc",
        "src/pcr.cc",
        "src/keys.cc",
        "src/quote.cc",
        "src/credential.cc",
        "src/seal.cc",
        "src/policy-session.cc",
        "src/nv.cc"
      ],
      "defines": ["NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags_cc": ["<!@(pkg-config --cflags <(tss2_packages))"],
      "libraries": ["<!@(pkg-config --libs <(tss2_packages))"]
    },
    {
      "target_name": "tee_guest",
      "sources": ["src/tee-guest.cc"]
    },
    {
      "target_name": "systemd",
      "sources": ["src/sd-notify.cc"]
    }
  ]
}

#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine: system packages, npm dependencies, native build.
# Safe to run again: apt and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
export npm_config_nodedir=/usr   # node-gyp must use the local Node headers (no download)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(swtpm swtpm-tools tpm2-tools libtss2-dev pkg-config openssl ca-certificates gnutls-bin protobuf-compiler make g++ python3 cryptsetup-bin systemd-boot-efi python3-pefile qemu-system-x86 qemu-utils ovmf dnsmasq-base iproute2 mkosi systemd-container debootstrap debian-archive-keyring erofs-utils dosfstools mtools fdisk binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi

echo "setup: building the native addon and the TypeScript sources" >&2
npm run build

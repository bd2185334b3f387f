#!/bin/bash
# Regenerates the PE/UKI vectors and expected.json from this host's tools (Debian 12: systemd-boot-efi 252,
# binutils, sbsigntool, openssl, python3-pefile, systemd 252 for systemd-measure). Inputs kept in git:
# kernel.efi (a minimal PE32+ from test/unit/image/pe-builder.ts, the stand-in .linux), os-release, cmdline.txt,
# initrd.img (3001 random bytes).
set -euo pipefail
cd "$(dirname "$0")"
PY=../../integration/image/authenticode-pefile.py
MEASURE=/usr/lib/systemd/systemd-measure
cp /usr/lib/systemd/boot/efi/linuxx64.efi.stub linuxx64.efi.stub
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A throwaway signer: the vector needs a real certificate table, not a trusted signature.
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$work/db.key" -out "$work/db.crt" -days 36500 \
  -subj "/CN=constellation test vector signer/" 2>/dev/null
sbsign --key "$work/db.key" --cert "$work/db.crt" --output linuxx64-signed.efi linuxx64.efi.stub 2>/dev/null
objcopy --add-section .osrel=os-release --change-section-vma .osrel=0x20000 \
  --add-section .cmdline=cmdline.txt --change-section-vma .cmdline=0x30000 \
  --add-section .linux=kernel.efi --change-section-vma .linux=0x2000000 \
  --add-section .initrd=initrd.img --change-section-vma .initrd=0x3000000 \
  linuxx64.efi.stub uki.efi
# objcopy 2.40 stamps the current time into the COFF header (SOURCE_DATE_EPOCH is ignored); fix it to 0 and
# recompute the CheckSum with pefile, so the vector reproduces (lib/image setPeTimestamp does the same).
/usr/bin/python3 - <<'PY'
import pefile
pe = pefile.PE('uki.efi')
pe.FILE_HEADER.TimeDateStamp = 0
pe.OPTIONAL_HEADER.CheckSum = pe.generate_checksum()
data = pe.write()
pe.close()
open('uki.efi', 'wb').write(data)
PY
measure() {
  "$MEASURE" calculate --linux=kernel.efi --osrel=os-release --cmdline=cmdline.txt --initrd=initrd.img \
    --bank=sha256 --phase="$1" | sed -n 's/^11:sha256=//p'
}
mapfile -t digest < <(/usr/bin/python3 "$PY" linuxx64.efi.stub linuxx64-signed.efi kernel.efi uki.efi)
boot_efi_version=$(dpkg-query -W -f '${Version}' systemd-boot-efi)
cat > expected.json <<JSON
{
  "source": "regenerate.sh on $(. /etc/os-release; echo "$PRETTY_NAME"), systemd-boot-efi $boot_efi_version",
  "authenticodeSha256": {
    "linuxx64.efi.stub": "${digest[0]}",
    "linuxx64-signed.efi": "${digest[1]}",
    "kernel.efi": "${digest[2]}",
    "uki.efi": "${digest[3]}"
  },
  "pcr4": {
    "0": "$(/usr/bin/python3 "$PY" --pcr4 uki.efi kernel.efi 0)",
    "1": "$(/usr/bin/python3 "$PY" --pcr4 uki.efi kernel.efi 1)"
  },
  "pcr11": {
    "sysinit:ready": "$(measure sysinit:ready)",
    "enter-initrd:leave-initrd:sysinit:ready": "$(measure enter-initrd:leave-initrd:sysinit:ready)",
    "enter-initrd": "$(measure enter-initrd)"
  }
}
JSON
cat expected.json

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Extract the raw vmlinux BTF of an unpacked Debian arm64 kernel into
# KDIR/btf/vmlinux (plus the VFIO modules' split BTF).
#   usage: extract-btf.sh KDIR        prints KDIR/btf
# Debian's arm64 vmlinuz is a raw Image (no ELF): the .BTF section sits in it
# as is.  It is found by its header (magic 0xeb9f, version 1, header length
# 24) whose type and string sections' sizes give the blob's length; the
# candidate that bpftool parses is kept.
set -euo pipefail
KDIR=${1:?usage: extract-btf.sh KDIR}
OUT=$KDIR/btf
[ -f "$OUT/.ok" ] && { echo "$OUT"; exit 0; }
mkdir -p "$OUT"
IMG=$(ls "$KDIR"/boot/vmlinuz-*)
python3 - "$IMG" "$OUT/vmlinux" <<'PY'
import struct, subprocess, sys
img = open(sys.argv[1], "rb").read()
pos = 0
while True:
    pos = img.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", pos)
    if pos < 0:
        sys.exit("extract-btf: no BTF header in " + sys.argv[1])
    type_off, type_len, str_off, str_len = struct.unpack_from("<4I", img, pos + 8)
    size = 24 + max(type_off + type_len, str_off + str_len)
    if type_len > 1 << 20 and pos + size <= len(img):
        open(sys.argv[2], "wb").write(img[pos:pos + size])
        r = subprocess.run(["bpftool", "btf", "dump", "file", sys.argv[2]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            break
    pos += 1
PY
M=$(ls -d "$KDIR"/lib/modules/*/kernel)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
for f in drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci; do
	n=$(basename $f | tr - _)
	if [ -f "$M/$f.ko.xz" ]; then xz -dc "$M/$f.ko.xz" > "$TMP/m.ko"
	elif [ -f "$M/$f.ko" ]; then cp "$M/$f.ko" "$TMP/m.ko"
	else continue; fi
	$(command -v aarch64-linux-gnu-objcopy || echo objcopy) --dump-section .BTF="$OUT/$n" "$TMP/m.ko" "$TMP/junk" 2>/dev/null || rm -f "$OUT/$n"
done
touch "$OUT/.ok"
echo "$OUT"

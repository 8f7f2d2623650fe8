#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The injection hooks (kvm_msi_set_irq, kvm_apic_accept_irq) run as
# BTF-typed raw tracepoints (tp_btf) when the kernel describes the tracepoint
# in its BTF, and as perf tracepoints otherwise or with IRQTRAIL_NO_TP_BTF=1.
# For both ways: `doctor -j` names the way taken, the kernel holds a program
# of that type attached while the stream runs (bpftool, independently of
# irqtrail), and the stream counts every injection exactly with its APIC
# accept folded in.
set -u
. "$(dirname "$0")/lib.sh"
need_kvm
need_irqtrail
command -v bpftool > /dev/null || skip "bpftool is not installed"

# does this kernel's BTF (vmlinux or the kvm module) have the tracepoint's type?
have_btf=0
for f in /sys/kernel/btf/vmlinux /sys/kernel/btf/kvm; do
	[ -r "$f" ] || continue
	if [ "$f" = /sys/kernel/btf/vmlinux ]; then
		bpftool btf dump file "$f" 2> /dev/null | grep -q "TYPEDEF 'btf_trace_kvm_msi_set_irq'" && have_btf=1
	else
		bpftool btf dump file "$f" base /sys/kernel/btf/vmlinux 2> /dev/null |
			grep -q "TYPEDEF 'btf_trace_kvm_msi_set_irq'" && have_btf=1
	fi
done
echo "kernel BTF describes kvm_msi_set_irq: $have_btf"

for way in btf perf; do
	[ $way = btf ] && [ $have_btf = 0 ] && { echo "btf: not offered by this kernel, checked as the fallback only"; continue; }
	unset IRQTRAIL_NO_TP_BTF
	[ $way = perf ] && export IRQTRAIL_NO_TP_BTF=1

	"$IRQTRAIL" doctor -j > "$W/doctor.$way.json" 2> "$W/doctor.$way.err" ||
		fail "$way: doctor -j exited $?: $(head -c 400 "$W/doctor.$way.err")"
	want="attached (BTF-typed raw tracepoint)"
	[ $way = perf ] && want="attached"
	python3 - "$W/doctor.$way.json" "$want" <<'EOF' || fail "$way: doctor does not report the way the hooks attached"
import json, sys
hooks = {h["hook"]: h for h in json.load(open(sys.argv[1]))["hooks"]}
ok = True
for name in ("kvm:kvm_msi_set_irq", "kvm:kvm_apic_accept_irq"):
    h = hooks.get(name)
    if not h or h["tier"] != "tracepoint" or h["attached"] is not True or h["reason"] != sys.argv[2]:
        print("%s: %s, want reason %r" % (name, h, sys.argv[2]), file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
EOF

	rm -f "$W/go"
	"$ITVMM" --wait-start "$W/go" --vcpus 2 --route 40:0xfee00000:0x0041 --irqfd 40 --fire-irqfd 40:3000 \
		--signal 0xfee01000:0x0052:4000 > "$W/vmm.json" 2> "$W/vmm.err" &
	vp=$!
	CLEANUP_PIDS+=("$vp")
	start_stream -D 6 --pid "$vp"
	# which program the kernel runs on the tracepoint (bpftool, not irqtrail)
	bpftool prog show -j > "$W/progs.$way.json" 2>/dev/null
	touch "$W/go"
	wait "$vp" || fail "$way: itvmm exited $?: $(head -c 400 "$W/vmm.err")"
	wait_stream
	assert_stream_clean
	python3 - "$way" "$W/progs.$way.json" "$W/vmm.json" "$W/stream.jsonl" <<'EOF' || exit 1
import json, sys
from collections import Counter
way = sys.argv[1]
progs = json.load(open(sys.argv[2]))
types = {p["name"]: p["type"] for p in progs if p["name"].endswith("kvm_msi_set_irq")}
want = ("bt_kvm_msi_set_irq", "tracing") if way == "btf" else ("tp_kvm_msi_set_irq", "tracepoint")
if types.get(want[0]) != want[1]:
    sys.exit("%s: the kernel holds %s, want program %s of type %s" % (way, types, want[0], want[1]))
vmm = json.load(open(sys.argv[3]))
for f in vmm["fired"]:
    if not f["ok"] == f["count"] == f["requested"]:
        sys.exit("%s: the VMM did not deliver every injection: %s" % (way, f))
pid = vmm["pid"]
seen, accepted = Counter(), Counter()
for line in open(sys.argv[4]):
    e = json.loads(line)
    if e["type"] == "kvm_msi" and e["pid"] == pid:
        seen[(e["address"], e["data"])] += 1
        if e.get("ioctl") and e.get("accepted"):
            accepted[(e["address"], e["data"])] += 1
want = Counter({(0xfee00000, 0x41): 3000, (0xfee01000, 0x52): 4000})
if seen != want:
    sys.exit("%s: injections per message %s, want %s" % (way, dict(seen), dict(want)))
if accepted[(0xfee01000, 0x52)] != 4000:
    sys.exit("%s: %d of 4000 KVM_SIGNAL_MSI lines carry their APIC accept" % (way, accepted[(0xfee01000, 0x52)]))
print("%s: %s" % (way, dict(seen)))
EOF
done
echo "ok"

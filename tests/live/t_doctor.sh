#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `irqtrail doctor -j` exits 0 and its "hooks" array tells the truth about
# this kernel: the tracepoint hooks the kernel has (checked in tracefs) are
# attached at the tracepoint/syscall tier; when the kernel has no kprobes
# (no kprobe PMU) or cannot attach fentry programs (probed here with a
# two-instruction fentry program through bpf(2)), no hook claims that tier
# and the hooks that need it are reported not attached with a reason.
set -u
. "$(dirname "$0")/lib.sh"
need_irqtrail

tfs=/sys/kernel/tracing
[ -d $tfs/events ] || mount -t tracefs nodev $tfs 2>/dev/null

"$IRQTRAIL" doctor -j > "$W/doctor.json" 2> "$W/doctor.err"
rc=$?
[ "$rc" = 0 ] || fail "doctor -j exited $rc: $(head -c 600 "$W/doctor.err")"

# what this kernel offers, found independently of irqtrail
have_kprobe=0
{ [ -d /sys/bus/event_source/devices/kprobe ] || [ -e $tfs/kprobe_events ]; } && have_kprobe=1
have_fentry=$(python3 - <<'EOF'
# load and attach a "return 0" fentry program on a kernel function
import ctypes, os, re, subprocess, struct
try:
    out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                         capture_output=True, text=True, check=True).stdout
    btf_id = int(re.search(r"^\[(\d+)\] FUNC 'do_nanosleep'", out, re.M).group(1))
except Exception:
    print("unknown"); raise SystemExit
libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf, PROG_LOAD, LINK_CREATE = 321, 5, 28
insns = bytes.fromhex("b700000000000000" "9500000000000000")
ibuf = ctypes.create_string_buffer(insns)
lic = ctypes.create_string_buffer(b"GPL")
attr = bytearray(128)
struct.pack_into("<IIQQ", attr, 0, 26, 2, ctypes.addressof(ibuf), ctypes.addressof(lic))
struct.pack_into("<I", attr, 68, 24)            # expected_attach_type = BPF_TRACE_FENTRY
struct.pack_into("<I", attr, 108, btf_id)       # attach_btf_id
abuf = ctypes.create_string_buffer(bytes(attr), len(attr))
fd = libc.syscall(SYS_bpf, PROG_LOAD, abuf, len(attr))
if fd < 0:
    print("0"); raise SystemExit
lattr = ctypes.create_string_buffer(struct.pack("<IIII", fd, 0, 24, 0) + bytes(48), 64)
lfd = libc.syscall(SYS_bpf, LINK_CREATE, lattr, 64)
print("1" if lfd >= 0 else "0")
for f in (lfd, fd):
    if f >= 0:
        os.close(f)
EOF
)
echo "kernel: kprobes=$have_kprobe fentry=$have_fentry"

python3 - "$W/doctor.json" "$tfs" "$have_kprobe" "$have_fentry" <<'EOF' || exit 1
import json, os, sys
doc = json.load(open(sys.argv[1]))
tfs, have_kprobe, have_fentry = sys.argv[2], sys.argv[3] == "1", sys.argv[4]
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

hooks = doc.get("hooks")
if not isinstance(hooks, list) or not hooks:
    sys.exit('doctor -j has no "hooks" array: %s' % list(doc))
for h in hooks:
    missing = [k for k in ("hook", "hop", "tier", "attached", "reason") if k not in h]
    check(not missing, "hook entry lacks %s: %s" % (missing, h))
    check(h.get("tier") in ("fentry", "kprobe", "tracepoint", "syscall", "iterator", "uprobe", "none"),
          "hook %s: unknown tier %r" % (h.get("hook"), h.get("tier")))
    check(isinstance(h.get("attached"), bool), "hook %s: attached is not a boolean" % h.get("hook"))
    if h.get("attached") is False:
        check(isinstance(h.get("reason"), str) and h["reason"].strip() != "",
              "hook %s not attached without a reason" % h.get("hook"))
    if h.get("attached") is True:
        check(h.get("tier") != "none", "hook %s attached at tier none" % h.get("hook"))

# every hook named after a tracepoint ("system:event") is attached at the
# tracepoint/syscall tier exactly when this kernel has that tracepoint
# (the VMM uprobes, hop vmm-uprobe, are named "qemu:<exported function>")
up_hooks = [h for h in hooks if h.get("hop") == "vmm-uprobe"]
tp_hooks = [h for h in hooks if ":" in str(h.get("hook")) and " " not in str(h.get("hook")) and h not in up_hooks]
for h in tp_hooks:
    sysname, name = h["hook"].split(":", 1)
    exists = os.path.isdir(os.path.join(tfs, "events", sysname, name))
    if exists:
        check(h.get("attached") is True and h.get("tier") in ("tracepoint", "syscall"),
              "tracepoint %s exists but hook is %s" % (h["hook"], h))
    else:
        check(h.get("attached") is False, "tracepoint %s is absent but reported attached" % h["hook"])
for name in ("kvm_msi_set_irq", "irq_handler_entry", "vector_update", "sys_enter_ioctl"):
    check(any(name in h["hook"] for h in tp_hooks), "no tracepoint hook for %s" % name)
# the VM state iterator (hop vm-state) needs neither kprobes nor fentry
func_hooks = [h for h in hooks if h not in tp_hooks and h not in up_hooks and h.get("hop") != "vm-state"]

# the QEMU uprobes: attached exactly when a QEMU binary of this system exports
# the function (nm -D), as uprobes; otherwise a reason
import glob, subprocess
exports = set()
for b in glob.glob("/usr/bin/qemu-system-*"):
    try:
        out = subprocess.run(["nm", "-D", "--defined-only", b], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    exports |= {l.split()[-1] for l in out.splitlines() if l.split()}
check(len(up_hooks) == 3, "doctor lists %d QEMU uprobe hooks, not 3" % len(up_hooks))
for h in up_hooks:
    sym = h["hook"].split(":", 1)[1]
    if sym in exports:
        check(h.get("attached") is True and h.get("tier") == "uprobe", "QEMU exports %s but hook is %s" % (sym, h))
    elif not glob.glob("/usr/bin/qemu-system-*"):
        check(h.get("attached") is False and "no QEMU binary" in h.get("reason", ""), "no QEMU, yet %s" % h)

def tier_check(tier, have):
    att = [h["hook"] for h in hooks if h.get("tier") == tier and h.get("attached") is True]
    check(not att, "kernel has no %s, yet hooks are attached at that tier: %s" % (tier, att))

if not have_kprobe:
    tier_check("kprobe", False)
if have_fentry == "0":
    tier_check("fentry", False)
if not have_kprobe and have_fentry == "0":
    # the function hooks (IRTE writes, domain allocation, VFIO, ...) need one
    # of the two: listed, none attached, each with its reason
    check(func_hooks, "doctor lists no kprobe/fentry-tier hooks at all")
    att = [h["hook"] for h in func_hooks if h.get("attached") is not False]
    check(not att, "no kprobes and no fentry on this kernel, yet attached: %s" % att)
elif have_fentry == "unknown":
    print("note: could not probe fentry (no bpftool?); fentry tier not checked")
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
att = sum(1 for h in hooks if h.get("attached") is True)
print("ok: %d hooks, %d attached, %d blind" % (len(hooks), att, len(hooks) - att))
EOF

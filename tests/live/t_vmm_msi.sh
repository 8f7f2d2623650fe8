#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The test VMM sets up 3 MSI routes and 3 irqfds, fires each irqfd and two
# KVM_SIGNAL_MSI messages a distinct number of times.  `irqtrail stream -j`
# must show exactly that many kvm_msi events per (address, data) for the
# VMM's pid, decoded as the VMM decoded them, plus the KVM_CREATE_VM,
# KVM_CREATE_VCPU, KVM_SET_GSI_ROUTING and KVM_IRQFD ioctls with their
# arguments, and lose nothing.
set -u
. "$(dirname "$0")/lib.sh"
need_kvm

start_stream -D 5
run_itvmm --vcpus 2 \
	--route 40:0xfee00000:0x0041 \
	--route 41:0xfee01000:0x0052 \
	--route 42:0xfee01000:0xc063 \
	--irqfd 40 --irqfd 41 --irqfd 42 \
	--fire-irqfd 40:1000 --fire-irqfd 41:2000 --fire-irqfd 42:3000 \
	--signal 0xfee00000:0x0071:5000 \
	--signal 0xfee01000:0x0184:7000
wait_stream
assert_stream_clean

python3 - "$W/vmm.json" "$W/stream.jsonl" <<'EOF' || exit 1
import json, sys
from collections import Counter, defaultdict

vmm = json.load(open(sys.argv[1]))
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

# the VMM itself must have done what was asked, or the test proves nothing
check(vmm["routing_tables"] == [{"nr": 3, "msi_entries": 3, "ret": 0, "errno": 0}],
      "VMM routing table not installed: %s" % vmm["routing_tables"])
for q in vmm["irqfds"]:
    check(q["ret"] == 0, "VMM KVM_IRQFD gsi %d failed: %s" % (q["gsi"], q))
for f in vmm["fired"]:
    check(f["ok"] == f["count"] == f["requested"],
          "VMM did not deliver every injection: %s" % f)
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)

pid = vmm["pid"]
events = []
for n, line in enumerate(open(sys.argv[2]), 1):
    try:
        e = json.loads(line)
    except ValueError:
        sys.exit("stream line %d is not JSON: %r" % (n, line[:200]))
    for k in ("ts", "cpu", "type", "pid", "tid"):
        if k not in e:
            sys.exit("stream line %d lacks %r: %s" % (n, k, line[:300]))
    for k in ("ts", "cpu", "pid", "tid"):
        if type(e[k]) is not int:
            sys.exit("stream line %d: %r is not a JSON integer: %s" % (n, k, line[:300]))
    events.append(e)
mine = [e for e in events if e["pid"] == pid]

# --- injections: exact count and decode per (address, data) -------------
msi = [e for e in mine if e["type"] == "kvm_msi"]
seen = Counter((e.get("address"), e.get("data")) for e in msi)
want = Counter()
for f in vmm["fired"]:
    want[(f["address"], f["data"])] += f["count"]
for key, n in sorted(want.items()):
    check(seen.get(key, 0) == n,
          "kvm_msi address=%#x data=%#x: %d events, VMM fired %d" % (key[0], key[1], seen.get(key, 0), n))
extra = {k: v for k, v in seen.items() if k not in want}
check(not extra, "kvm_msi events for messages the VMM never sent: %s" % extra)

decode_keys = ("dest", "vector", "dest_mode", "delivery", "trigger", "format")
for f in vmm["fired"]:
    key = (f["address"], f["data"])
    got = Counter(tuple(e.get(k) for k in decode_keys) for e in msi
                  if (e.get("address"), e.get("data")) == key)
    exp = tuple(f[k] for k in decode_keys)
    bad = {k: v for k, v in got.items() if k != exp}
    check(not bad, "kvm_msi %#x/%#x decoded as %s, expected %s" % (key[0], key[1], bad, dict(zip(decode_keys, exp))))
for e in msi:
    if type(e.get("host_irq")) is not int:
        check(False, "kvm_msi without integer host_irq: %s" % e); break

# --- ioctls --------------------------------------------------------------
ioc = defaultdict(list)
for e in mine:
    # a KVM_SIGNAL_MSI is folded into its injection's kvm_msi line (with "ioctl")
    if e["type"] == "ioctl" or (e["type"] == "kvm_msi" and "ioctl" in e):
        ioc[e.get("ioctl")].append(e)

vm_fd = vmm["vm_fd"]
cv = ioc["KVM_CREATE_VM"]
check(len(cv) == 1 and cv[0].get("ret") == vm_fd,
      "KVM_CREATE_VM: want 1 line with ret=%d, got %s" % (vm_fd, cv))
cvc = ioc["KVM_CREATE_VCPU"]
check(len(cvc) == vmm["vcpus"] and all(e.get("ioctl_fd") == vm_fd and e.get("ret", -1) >= 0 for e in cvc),
      "KVM_CREATE_VCPU: want %d lines on fd %d with ret>=0, got %s" % (vmm["vcpus"], vm_fd, cvc))

rt = ioc["KVM_SET_GSI_ROUTING"]
check(len(rt) == len(vmm["routes"]),
      "KVM_SET_GSI_ROUTING: %d lines, want one per MSI entry (%d)" % (len(rt), len(vmm["routes"])))
for i, r in enumerate(vmm["routes"]):
    m = [e for e in rt if e.get("gsi") == r["gsi"]]
    if len(m) != 1:
        check(False, "KVM_SET_GSI_ROUTING: %d lines for gsi %d, want 1" % (len(m), r["gsi"])); continue
    e = m[0]
    exp = {"address": r["address"], "data": r["data"], "dest": r["dest"], "vector": r["vector"],
           "ret": 0, "nr": 3, "index": i, "devid": 0, "ioctl_fd": vm_fd}
    got = {k: e.get(k) for k in exp}
    check(got == exp, "KVM_SET_GSI_ROUTING gsi %d: got %s, want %s" % (r["gsi"], got, exp))

fdl = ioc["KVM_IRQFD"]
check(len(fdl) == len(vmm["irqfds"]),
      "KVM_IRQFD: %d lines, VMM issued %d" % (len(fdl), len(vmm["irqfds"])))
for q in vmm["irqfds"]:
    m = [e for e in fdl if e.get("gsi") == q["gsi"]]
    if len(m) != 1:
        check(False, "KVM_IRQFD: %d lines for gsi %d, want 1" % (len(m), q["gsi"])); continue
    exp = {"fd": q["eventfd"], "gsi": q["gsi"], "ret": 0, "flags": 0, "deassign": False,
           "ioctl_fd": vm_fd}
    got = {k: m[0].get(k) for k in exp}
    check(got == exp, "KVM_IRQFD gsi %d: got %s, want %s" % (q["gsi"], got, exp))

sm = ioc["KVM_SIGNAL_MSI"]
for f in vmm["fired"]:
    if f["how"] != "signal":
        continue
    m = [e for e in sm if (e.get("address"), e.get("data")) == (f["address"], f["data"])]
    check(len(m) == f["count"], "KVM_SIGNAL_MSI %#x/%#x: %d lines, VMM issued %d"
          % (f["address"], f["data"], len(m), f["count"]))
    exp = {"fd": vm_fd, "ioctl_fd": vm_fd, "dest": f["dest"], "vector": f["vector"], "ret": 1}
    bad = Counter(tuple((k, e.get(k)) for k in exp) for e in m if {k: e.get(k) for k in exp} != exp)
    check(not bad, "KVM_SIGNAL_MSI %#x/%#x: lines %s, want %s" % (f["address"], f["data"], dict(bad), exp))
check(len(sm) == sum(f["count"] for f in vmm["fired"] if f["how"] == "signal"),
      "KVM_SIGNAL_MSI: %d lines in all" % len(sm))

# the table was installed before anything was injected
if rt and msi:
    check(max(e["ts"] for e in rt) < min(e["ts"] for e in msi),
          "KVM_SET_GSI_ROUTING lines are not before the first injection")

if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
print("ok: %d kvm_msi events for pid %d in %d messages, %d routing lines, %d irqfd lines"
      % (len(msi), pid, len(want), len(rt), len(fdl)))
EOF

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Route change: the VMM installs gsi 50 and 51, fires both irqfds, then
# replaces gsi 50's entry (new destination and vector) with a second
# KVM_SET_GSI_ROUTING and fires again.  The stream must show the second
# table with the new address/data for gsi 50 (gsi 51 unchanged), and every
# injection through gsi 50 after the change must carry the new message and
# vector, every one before it the old.  At the end gsi 51's irqfd is
# deassigned, which must appear as a KVM_IRQFD line with "deassign":true.
set -u
. "$(dirname "$0")/lib.sh"
need_kvm

start_stream -D 4
run_itvmm --vcpus 2 \
	--route 50:0xfee00000:0x0061 \
	--route 51:0xfee01000:0x0062 \
	--irqfd 50 --irqfd 51 \
	--fire-irqfd 50:300 --fire-irqfd 51:400 \
	--reroute 50:0xfee01000:0x00a7 --fire-after 500 \
	--deassign-irqfd 51
wait_stream
assert_stream_clean

python3 - "$W/vmm.json" "$W/stream.jsonl" <<'EOF' || exit 1
import json, sys
from collections import Counter

vmm = json.load(open(sys.argv[1]))
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

# what the VMM did
check([t["ret"] for t in vmm["routing_tables"]] == [0, 0],
      "VMM routing tables not both installed: %s" % vmm["routing_tables"])
for f in vmm["fired"]:
    check(f["how"] == "irqfd" and f["ok"] == f["count"] == f["requested"],
          "VMM firing incomplete: %s" % f)
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
old = {r["gsi"]: r for r in vmm["routes"]}
rr = vmm["reroutes"][0]
gsi = rr["gsi"]
new = dict(old); new[gsi] = rr
check(old[gsi]["vector"] != rr["vector"] and old[gsi]["dest"] != rr["dest"],
      "test set-up: reroute must change dest and vector")
phase = {(f["phase"], f["gsi"]): f for f in vmm["fired"]}

pid = vmm["pid"]
ev = [json.loads(l) for l in open(sys.argv[2])]
mine = sorted((e for e in ev if e.get("pid") == pid), key=lambda e: e["ts"])

# routing ioctl lines, grouped into tables (index restarts at 0)
rt = [e for e in mine if e["type"] == "ioctl" and e.get("ioctl") == "KVM_SET_GSI_ROUTING"]
tables = []
for e in rt:
    if e.get("index") == 0 or not tables:
        tables.append([])
    tables[-1].append(e)
check(len(tables) == 2, "want 2 KVM_SET_GSI_ROUTING tables, got %d (%d lines)" % (len(tables), len(rt)))
for n, (tbl, routes) in enumerate(zip(tables, (old, new)), 1):
    got = {e.get("gsi"): (e.get("address"), e.get("data"), e.get("dest"), e.get("vector"), e.get("ret"))
           for e in tbl}
    exp = {g: (r["address"], r["data"], r["dest"], r["vector"], 0) for g, r in routes.items()}
    check(got == exp and len(tbl) == len(exp),
          "table %d: got %s, want %s" % (n, got, exp))
if len(tables) != 2:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
t_change = max(e["ts"] for e in tables[1])

# injections: by message, and in time relative to the change
msi = [e for e in mine if e["type"] == "kvm_msi"]
key = lambda r: (r["address"], r["data"])
cnt = Counter((e.get("address"), e.get("data")) for e in msi)
b_old = phase[(1, gsi)]["count"]
a_new = phase[(2, gsi)]["count"]
other = [g for g in old if g != gsi][0]
o_all = phase[(1, other)]["count"] + phase[(2, other)]["count"]
check(cnt.get(key(old[gsi]), 0) == b_old,
      "gsi %d old message: %d injections, VMM fired %d before the change" % (gsi, cnt.get(key(old[gsi]), 0), b_old))
check(cnt.get(key(rr), 0) == a_new,
      "gsi %d new message: %d injections, VMM fired %d after the change" % (gsi, cnt.get(key(rr), 0), a_new))
check(cnt.get(key(old[other]), 0) == o_all,
      "gsi %d: %d injections, VMM fired %d" % (other, cnt.get(key(old[other]), 0), o_all))
check(sum(cnt.values()) == b_old + a_new + o_all, "unexpected kvm_msi events: %s" % dict(cnt))

after = [e for e in msi if key(e) == key(rr)]
before = [e for e in msi if key(e) == key(old[gsi])]
check(all(e["ts"] > t_change for e in after), "new-message injections before the routing change")
check(all(e["ts"] < tables[1][0]["ts"] for e in before), "old-message injections after the routing change")
check(all(e.get("vector") == rr["vector"] and e.get("dest") == rr["dest"] for e in after),
      "injections after the change not decoded as vector %d dest %d: %s"
      % (rr["vector"], rr["dest"], Counter((e.get("dest"), e.get("vector")) for e in after)))
check(all(e.get("vector") == old[gsi]["vector"] for e in before),
      "injections before the change not decoded as vector %d" % old[gsi]["vector"])
# irqfds: two assigns, then the deassign of gsi 51 after the last injection
fdl = [e for e in mine if e["type"] == "ioctl" and e.get("ioctl") == "KVM_IRQFD"]
exp = [(q["eventfd"], q["gsi"], 0, False, 0) for q in vmm["irqfds"]]
exp += [(q["eventfd"], q["gsi"], 1, True, 0) for q in vmm["irqfds"] if q["deassigned"]]
got = [(e.get("fd"), e.get("gsi"), e.get("flags"), e.get("deassign"), e.get("ret")) for e in fdl]
check(got == exp, "KVM_IRQFD lines (fd, gsi, flags, deassign, ret): got %s, want %s" % (got, exp))
if fdl and msi:
    check(fdl[-1]["ts"] > max(e["ts"] for e in msi), "deassign line is not after the last injection")

if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
print("ok: gsi %d %#x/%#x -> %#x/%#x, %d before, %d after" %
      (gsi, old[gsi]["address"], old[gsi]["data"], rr["address"], rr["data"], len(before), len(after)))
EOF

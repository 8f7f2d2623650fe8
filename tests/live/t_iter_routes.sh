#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A VM set up before irqtrail starts: the test VMM installs MSI routes and
# irqfds, then irqtrail starts.  No ioctl is observed, so `routes -j` can
# only know them through the VM state iterator (BPF task_file iterator over
# struct kvm): it must list exactly the VMM's routes (gsi, address, data,
# decoded destination and vector, trigger) with origin "iterator" and each
# irqfd's eventfd as the VMM's fd number; doctor must report the iterator
# attached.  Skipped where the kernel refuses the iterator (doctor says why).
set -u
. "$(dirname "$0")/lib.sh"
need_kvm
need_irqtrail

"$IRQTRAIL" doctor -j > "$W/doctor.json" 2> "$W/doctor.err" || true
it=$(jq -c '.hooks[] | select(.hop == "vm-state")' "$W/doctor.json")
[ -n "$it" ] || fail "doctor -j lists no vm-state hook: $(head -c 400 "$W/doctor.json")"
if [ "$(jq -r .attached <<<"$it")" != true ]; then
	skip "VM state iterator not available here: $(jq -r .reason <<<"$it")"
fi
[ "$(jq -r .tier <<<"$it")" = iterator ] || fail "vm-state hook tier is not 'iterator': $it"

"$ITVMM" --vcpus 1 \
	--route 40:0xfee00000:0x0041 \
	--route 41:0xfee01000:0x0052 \
	--route 42:0xfee03000:0xc063 \
	--route 43:0xfee02000:0x0074 \
	--irqfd 40 --irqfd 41 --irqfd 42 \
	--pause-ms 8000 > "$W/vmm.json" 2> "$W/vmm.err" &
VMM=$!
CLEANUP_PIDS+=("$VMM")
# set up: its three irqfd eventfds exist (KVM_IRQFD follows each at once)
for ((i = 0; i < 100; i++)); do
	n=$(ls -l /proc/$VMM/fd 2>/dev/null | grep -c 'anon_inode:\[eventfd\]')
	[ "$n" -ge 3 ] && break
	sleep 0.05
done
[ "$n" -ge 3 ] || fail "test VMM did not set up its irqfds"
sleep 0.5

"$IRQTRAIL" routes -j -D 1 --pid "$VMM" > "$W/routes.json" 2> "$W/routes.err" ||
	fail "irqtrail routes exited $?: $(head -c 600 "$W/routes.err")"
wait "$VMM" || fail "test VMM exited $?: $(head -c 600 "$W/vmm.err")"
jq -e . "$W/vmm.json" > /dev/null || fail "itvmm printed invalid JSON"

python3 - "$W/vmm.json" "$W/routes.json" <<'PY' || exit 1
import json, sys
vmm = json.load(open(sys.argv[1]))
routes = json.load(open(sys.argv[2]))
pid = vmm["pid"]
err = []
if vmm["routing_tables"] != [{"nr": 4, "msi_entries": 4, "ret": 0, "errno": 0}]:
    sys.exit("VMM routing table not installed: %s" % vmm["routing_tables"])
efd = {q["gsi"]: q["eventfd"] for q in vmm["irqfds"] if q["ret"] == 0}
if len(efd) != 3:
    sys.exit("VMM irqfds not all bound: %s" % vmm["irqfds"])
mine = [r for r in routes if r.get("kind") == "guest" and r.get("vm_pid") == pid]
got = {r["gsi"]: r for r in mine}
want = {r["gsi"]: r for r in vmm["routes"]}
if sorted(got) != sorted(want) or len(mine) != len(want):
    err.append("routes for pid %d: gsis %s, the VMM installed %s" % (pid, sorted(r["gsi"] for r in mine), sorted(want)))
for g, w in want.items():
    r = got.get(g)
    if not r:
        continue
    for rk, wk in (("msi_address", "address"), ("msi_data", "data"), ("dest", "dest"),
                   ("guest_vector", "vector"), ("trigger", "trigger"), ("delivery", "delivery")):
        if r.get(rk) != w[wk]:
            err.append("gsi %d: %s = %r, the VMM's %s = %r" % (g, rk, r.get(rk), wk, w[wk]))
    if r.get("source") != "iterator":
        err.append("gsi %d: source %r, expected 'iterator' (set up before start)" % (g, r.get("source")))
    if r.get("eventfd") != efd.get(g):
        err.append("gsi %d: eventfd %r, the VMM bound %r" % (g, r.get("eventfd"), efd.get(g)))
    if r.get("owner", {}).get("pid") != pid:
        err.append("gsi %d: owner %r" % (g, r.get("owner")))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
PY

# A VM with more MSI routes than one iterator object can carry (the seq
# buffer holds ~340 records): the read must not fail.  doctor says how many
# it copied and that some were not, and routes lists exactly that many of
# the VMM's gsis, each with the VMM's message.
args=()
for ((g = 100; g < 600; g++)); do args+=(--route "$g:0xfee01000:0x0045"); done
"$ITVMM" --vcpus 1 "${args[@]}" --pause-ms 8000 > "$W/big.json" 2> "$W/big.err" &
BIG=$!
CLEANUP_PIDS+=("$BIG")
for ((i = 0; i < 100; i++)); do
	grep -q 'anon_inode:kvm-vm' <(ls -l /proc/$BIG/fd 2>/dev/null) && break
	sleep 0.05
done
sleep 1
"$IRQTRAIL" doctor -j > "$W/doctor2.json" 2> "$W/doctor2.err" || true
"$IRQTRAIL" routes -j -D 1 --pid "$BIG" > "$W/big_routes.json" 2> "$W/big_routes.err" ||
	fail "irqtrail routes (500 routes) exited $?: $(head -c 600 "$W/big_routes.err")"
wait "$BIG" || fail "test VMM (500 routes) exited $?: $(head -c 600 "$W/big.err")"
python3 - "$W/big.json" "$W/big_routes.json" "$W/doctor2.json" <<'PY' || exit 1
import json, re, sys
vmm = json.load(open(sys.argv[1]))
routes = json.load(open(sys.argv[2]))
doc = json.load(open(sys.argv[3]))
if vmm["routing_tables"] != [{"nr": 500, "msi_entries": 500, "ret": 0, "errno": 0}]:
    sys.exit("VMM routing table not installed: %s" % vmm["routing_tables"])
it = [h for h in doc["hooks"] if h["hop"] == "vm-state"][0]
m = re.search(r"read 1 VM .*: (\d+) MSI routes of (\d+) entries", it["reason"])
if not it["attached"] or not m or "not copied" not in it["reason"]:
    sys.exit("doctor on a 500-route VM: %s" % it)
copied, entries = int(m.group(1)), int(m.group(2))
if entries != 500 or not 0 < copied < 500:
    sys.exit("doctor: %d of %d copied, the VMM installed 500" % (copied, entries))
want = {r["gsi"]: r for r in vmm["routes"]}
mine = [r for r in routes if r.get("kind") == "guest" and r.get("vm_pid") == vmm["pid"]]
bad = [r["gsi"] for r in mine if r["gsi"] not in want or r["msi_data"] != want[r["gsi"]]["data"]
       or r.get("source") != "iterator"]
if len(mine) != copied or bad:
    sys.exit("routes: %d rows (doctor copied %d), wrong: %s" % (len(mine), copied, bad[:10]))
print("ok: 500-route VM: %d routes read at start, the rest counted as not copied" % copied)
PY

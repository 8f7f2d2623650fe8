#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `routes` live (issue 3).  The test VMM installs four MSI routes (one
# level-triggered, one without an irqfd), binds irqfds to three, fires them
# and a KVM_SIGNAL_MSI message, then replaces one route's message with a
# second KVM_SET_GSI_ROUTING and fires again.  Watching it:
#  - `routes -j -D` lists exactly those routes for the VMM's pid, each with
#    the VMM's message decoded (dest, guest vector, mode, trigger), eventfd
#    and injection count; the changed route shows the new message and its
#    change history holds the old one;
#  - `routes -D --pid PID` (text) shows the same routes and counts, and
#    nothing of other processes or of the host;
#  - `routes --dot --pid PID` draws eventfd -> gsi -> guest vector for each.
set -u
. "$(dirname "$0")/common.sh"
need_root
need_kvm
need_irqtrail

SECS=5
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 --vcpus 2 \
	--route 40:0xfee00000:0x4035 --route 41:0xfee01000:0x0036 \
	--route 42:0xfee00000:0xc063 --route 43:0xfee01000:0x4038 \
	--irqfd 40 --irqfd 41 --irqfd 42 \
	--fire-irqfd 40:400 --fire-irqfd 41:300 --fire-irqfd 42:200 \
	--signal 0xfee01000:0x4071:250 \
	--reroute 41:0xfee00000:0x4077 --fire-after 50 --rate 20000 \
	> "$W/vmm.json" 2> "$W/vmm.err" &
VMM=$!
CLEANUP_PIDS+=("$VMM")

start_bg all routes -j -D "$SECS"
P1=$BG_PID
start_bg text routes -D "$SECS" --pid "$VMM"
P2=$BG_PID
start_bg dot routes --dot -D "$SECS" --pid "$VMM"
P3=$BG_PID
wait_attached "$P1" all
wait_attached "$P2" text
wait_attached "$P3" dot
touch "$W/go"
wait "$VMM" || fail "itvmm exited $?: $(head -c 600 "$W/vmm.err")"
for p in "$P1" "$P2" "$P3"; do
	kill -0 "$p" 2>/dev/null || fail "a routes window (pid $p) ended before the VMM finished: raise SECS"
done
wait_bg "$P1" all $((SECS + 20))
[ "$BG_RC" = 0 ] || bad "routes -j -D exited $BG_RC: $(tail -c 300 "$W/all.err")"
wait_bg "$P2" text $((SECS + 20))
[ "$BG_RC" = 0 ] || bad "routes -D --pid exited $BG_RC: $(tail -c 300 "$W/text.err")"
wait_bg "$P3" dot $((SECS + 20))
[ "$BG_RC" = 0 ] || bad "routes --dot exited $BG_RC: $(tail -c 300 "$W/dot.err")"

PYTHONPATH=$REPLAY_DIR python3 - "$W" <<'EOF' || bad "routes output (above)"
import re, sys
import vmmcheck as vc

w = sys.argv[1]
vmm = vc.load(w + "/vmm.json")
err = vc.vmm_errors(vmm)
if err:
    sys.exit("\n".join(err))
pid = vmm["pid"]
exp = vc.expected_guest(vmm)
rows = vc.load_routes(w + "/all.out", "routes -j")
err += vc.check_guest(rows, vmm, "routes -j")

# --- text, --pid: exactly the VMM's rows -------------------------------
text = open(w + "/text.out").read().splitlines()
hdr = [i for i, l in enumerate(text) if l.split()[:3] == ["VM", "NAME", "GSI"]]
if any(l.startswith("DEVICE ") for l in text):
    err.append("routes --pid %d (text) shows host device rows: %s" % (pid, text[:2]))
if len(hdr) != 1:
    err.append("routes --pid (text): want one VM table header, got %d: %s" % (len(hdr), text[:3]))
else:
    cols = text[hdr[0]].split()
    got = {}
    for l in text[hdr[0] + 1:]:
        f = l.split()
        if len(f) != len(cols):
            err.append("routes --pid (text): row with %d columns, header has %d: %r" % (len(f), len(cols), l))
            continue
        r = dict(zip(cols, f))
        if r["VM"] != str(pid):
            err.append("routes --pid %d (text): row of another VM: %r" % (pid, l))
            continue
        key = ("msg", int(r["MSI-ADDR"], 16), int(r["MSI-DATA"], 16)) if r["GSI"] == "msi" else ("gsi", int(r["GSI"]))
        got[key] = r
    if set(got) != set(exp):
        err.append("routes --pid (text) rows %s, want %s" % (sorted(got, key=str), sorted(exp, key=str)))
    for k in set(got) & set(exp):
        e, r = exp[k], got[k]
        want = {"MSI-ADDR": e["msi_address"], "MSI-DATA": e["msi_data"], "DEST": e["dest"],
                "GVEC": e["guest_vector"], "COUNT": e["count"],
                "EVFD": e["eventfd"] if e["eventfd"] is not None else "-"}
        have = {"MSI-ADDR": int(r["MSI-ADDR"], 16), "MSI-DATA": int(r["MSI-DATA"], 16), "DEST": int(r["DEST"]),
                "GVEC": int(r["GVEC"], 16), "COUNT": int(r["COUNT"]),
                "EVFD": int(r["EVFD"]) if r["EVFD"] != "-" else "-"}
        if want != have:
            err.append("routes --pid (text) %s: %s, want %s" % (k, have, want))
    if any(len(l) > 120 for l in text):
        err.append("routes (text) is wider than 120 columns: %r" % max(text, key=len))

# --- dot -----------------------------------------------------------------
dot = open(w + "/dot.out").read()
if not dot.startswith("digraph") or not dot.rstrip().endswith("}"):
    err.append("routes --dot is not a digraph: %.200r" % dot)
for k, e in exp.items():
    if k[0] != "gsi":
        continue
    g = e["gsi"]
    edge = '"vm %d gsi %d" -> "vm %d apic %d vector %#x"' % (pid, g, pid, e["dest"], e["guest_vector"])
    if edge not in dot:
        err.append("routes --dot lacks %s" % edge)
    if e["eventfd"] is not None:
        edge = '"eventfd %d (pid %d)" -> "vm %d gsi %d"' % (e["eventfd"], pid, pid, g)
        if edge not in dot:
            err.append("routes --dot lacks %s" % edge)
other = set(int(p) for p in re.findall(r'"vm (\d+) ', dot)) - {pid}
if other:
    err.append("routes --dot --pid %d draws other VMs: %s" % (pid, other))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
print("ok: pid %d: %s" % (pid, ", ".join("%s=%d" % ("gsi %d" % k[1] if k[0] == "gsi" else vc.msg(k[1], k[2]),
                                                      e["count"]) for k, e in sorted(exp.items(), key=str))))
EOF
finish

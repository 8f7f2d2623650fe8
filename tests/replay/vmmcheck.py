# SPDX-License-Identifier: GPL-2.0-only
"""Shared checks of the replay tests: what the test VMM (itvmm) says it did,
turned into the guest routes `irqtrail routes -j` / `replay --summary -j`
must list for its pid, and comparisons of those route tables."""
import json
from collections import Counter


def load(path):
    with open(path) as f:
        return json.load(f)


def load_routes(path, what):
    """A route table printed with -j: a JSON array."""
    try:
        rows = load(path)
    except ValueError as e:
        raise SystemExit("%s: output is not JSON (%s)" % (what, e))
    if not isinstance(rows, list):
        raise SystemExit("%s: output is not a JSON array: %.300s" % (what, rows))
    return rows


def vmm_errors(vmm):
    """The VMM must have done what it was asked, or a test proves nothing."""
    err = []
    for t in vmm.get("routing_tables", []):
        if t.get("ret") != 0:
            err.append("VMM KVM_SET_GSI_ROUTING failed: %s" % t)
    for q in vmm.get("irqfds", []):
        if q.get("ret") != 0:
            err.append("VMM KVM_IRQFD gsi %s failed: %s" % (q.get("gsi"), q))
    for f in vmm.get("fired", []):
        if not (f["ok"] == f["count"] and f["failed"] == 0 and f["blocked"] == 0):
            err.append("VMM did not deliver every injection: %s" % f)
        if f.get("requested") and f["count"] != f["requested"]:
            err.append("VMM fired %d of %d requested: %s" % (f["count"], f["requested"], f))
    return err


def msg(address, data):
    return "%#x/%#x" % (address, data)


def expected_guest(vmm):
    """key -> expected fields, for every guest route of the VMM's pid.
    Keys: ("gsi", G) for each MSI route of the last routing table,
    ("msg", address, data) for each directly signalled message."""
    exp = {}
    final = {r["gsi"]: r for r in vmm["routes"]}
    old = {}
    for rr in vmm.get("reroutes", []):
        old.setdefault(rr["gsi"], []).append(final[rr["gsi"]])
        final[rr["gsi"]] = rr
    efd = {}
    for q in vmm.get("irqfds", []):
        if q.get("ret") == 0:
            efd[q["gsi"]] = None if q.get("deassigned") else q["eventfd"]
    fired_gsi = Counter()
    fired_msg = Counter()
    for f in vmm.get("fired", []):
        if f["how"] == "irqfd":
            fired_gsi[f["gsi"]] += f["count"]
        else:
            fired_msg[(f["address"], f["data"])] += f["count"]
    for g, r in final.items():
        exp[("gsi", g)] = {
            "gsi": g, "msi_address": r["address"], "msi_data": r["data"], "dest": r["dest"],
            "guest_vector": r["vector"], "dest_mode": r["dest_mode"], "delivery": r["delivery"],
            "trigger": r["trigger"], "eventfd": efd.get(g), "count": fired_gsi[g],
            "source": "ioctl", "_old": old.get(g, []),
        }
    for (a, d), n in fired_msg.items():
        f = [x for x in vmm["fired"] if x["how"] == "signal" and (x["address"], x["data"]) == (a, d)][0]
        exp[("msg", a, d)] = {
            "gsi": None, "msi_address": a, "msi_data": d, "dest": f["dest"], "guest_vector": f["vector"],
            "dest_mode": f["dest_mode"], "delivery": f["delivery"], "trigger": f["trigger"],
            "eventfd": None, "count": n, "source": "signal", "_old": [],
        }
    return exp


def guest_rows(rows, pid):
    return [r for r in rows if r.get("kind") == "guest" and r.get("vm_pid") == pid]


def row_key(r):
    if r.get("gsi") is None:
        return ("msg", r.get("msi_address"), r.get("msi_data"))
    return ("gsi", r.get("gsi"))


def check_guest(rows, vmm, what):
    """Errors: the guest rows of the VMM's pid must be exactly the expected
    routes, decoded as the VMM decoded them, with the VMM's counts, and a
    rerouted GSI's change history must hold its old message."""
    err = []
    pid = vmm["pid"]
    exp = expected_guest(vmm)
    mine = guest_rows(rows, pid)
    got = {}
    for r in mine:
        k = row_key(r)
        if k in got:
            err.append("%s: two rows for %s: %s / %s" % (what, k, got[k], r))
        got[k] = r
    for k in sorted(set(exp) - set(got), key=str):
        err.append("%s: no row for %s of VMM pid %d (rows for the pid: %s)"
                   % (what, k, pid, [row_key(r) for r in mine]))
    for k in sorted(set(got) - set(exp), key=str):
        err.append("%s: row for %s the VMM never set up: %s" % (what, k, json.dumps(got[k])[:400]))
    for k in sorted(set(exp) & set(got), key=str):
        e, r = exp[k], got[k]
        for f, v in e.items():
            if f.startswith("_"):
                continue
            if r.get(f) != v:
                err.append("%s: %s: %s is %r, the VMM's is %r" % (what, k, f, r.get(f), v))
        # every injection is accepted by a vCPU's local APIC when the VMM
        # enabled them all (its destinations are existing vCPUs)
        if "accepted" in r and vmm.get("lapic_enabled") == vmm.get("vcpus") and e["dest"] < vmm.get("vcpus", 0):
            if r["accepted"] != e["count"]:
                err.append("%s: %s: accepted %r, want every injection (%d) accepted by the vCPU's APIC"
                           % (what, k, r["accepted"], e["count"]))
        own = r.get("owner") or {}
        if own.get("kind") != "vm" or own.get("pid") != pid:
            err.append("%s: %s: owner %s, want a vm with pid %d" % (what, k, own, pid))
        ch = r.get("changes")
        if not isinstance(ch, list):
            err.append("%s: %s: no changes array" % (what, k))
            continue
        new = msg(e["msi_address"], e["msi_data"])
        for o in e["_old"]:
            om = msg(o["address"], o["data"])
            hit = [c for c in ch if om in c.get("what", "") and new in c.get("what", "")
                   and c.get("pid") == pid and c["what"].index(om) < c["what"].index(new)]
            if not hit:
                err.append("%s: %s: change history lacks the change %s -> %s by pid %d: %s"
                           % (what, k, om, new, pid, [c.get("what") for c in ch]))
        if k[0] == "gsi":
            if not any(new in c.get("what", "") for c in ch):
                err.append("%s: %s: change history never names the current message %s: %s"
                           % (what, k, new, [c.get("what") for c in ch]))
            ts = [c.get("ts") for c in ch]
            if ts != sorted(ts):
                err.append("%s: %s: changes not in time order: %s" % (what, k, ts))
    return err


# fields that must agree between two route tables of the same VMM activity
SAME = ("gsi", "msi_address", "msi_data", "dest", "guest_vector", "dest_mode", "delivery", "trigger",
        "eventfd", "count", "source", "host_irq", "bdf", "entry", "unknown", "accepted")


def compare_guest(a_rows, b_rows, pid, a_what, b_what):
    err = []
    a = {row_key(r): r for r in guest_rows(a_rows, pid)}
    b = {row_key(r): r for r in guest_rows(b_rows, pid)}
    if set(a) != set(b):
        err.append("%s lists %s, %s lists %s for pid %d" % (a_what, sorted(a, key=str), b_what,
                                                             sorted(b, key=str), pid))
    for k in sorted(set(a) & set(b), key=str):
        for f in SAME:
            if a[k].get(f) != b[k].get(f):
                err.append("%s: %s is %r in %s, %r in %s" % (k, f, a[k].get(f), a_what, b[k].get(f), b_what))
        wa = [c.get("what") for c in a[k].get("changes", [])]
        wb = [c.get("what") for c in b[k].get("changes", [])]
        if wa != wb:
            err.append("%s: change history differs: %s %s, %s %s" % (k, a_what, wa, b_what, wb))
    return err


def jsonl(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError:
                raise SystemExit("%s line %d is not JSON: %.200r" % (path, n, line))
    return out

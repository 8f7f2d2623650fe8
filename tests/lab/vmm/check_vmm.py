#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host-side assertions of the VMM scenario (tests/lab/vmm).

usage: check_vmm.py OUTDIR intel|amd

OUTDIR is L1's /out (tests/lab/vmm/init).  irqtrail's account in L1 (live
`routes -j`, the recording and what `routes -r`, `explain -r`, `check -r`
and `export --jsonl` make of it) is compared with the nested guest's own
account (its /proc/interrupts, the MSI messages its kernel wrote to the
device, its vector assignments, all printed from inside L2) and with L1's
own (/proc/interrupts, ftrace: irq_vectors:vector_config and a kprobe
event on __pci_write_msi_msg, QEMU's pid and command line).  No expected
value is a constant of this file.

The irqtrail binary that exports the recording on this host: $IRQTRAIL, or
the one at the top of the tree.

Prints "ok NAME - detail" / "FAIL NAME - detail" per check and "PROVEN NAME:
line" for the lines that show the path; exit status 1 if any check failed.
"""
import json
import os
import re
import subprocess
import sys

OUT, VENDOR = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
IRQTRAIL = os.environ.get("IRQTRAIL") or os.path.join(HERE, "..", "..", "..", "irqtrail")
sys.path.insert(0, os.path.join(HERE, ".."))
from labcheck import Lab  # noqa: E402

L = Lab(OUT)
ok, fail, check, proven, path, read = L.ok, L.fail, L.check, L.proven, L.path, L.read


def load_json(name):
    try:
        with open(path(name)) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("json-" + name, str(e))
        return None


m = re.search(r"e1000e=(\S+)", read("devices.txt"))
if not m:
    fail("guest-output", "no devices.txt in %s (L1 did not finish; see serial.log)" % OUT)
    sys.exit(1)
BDF = m.group(1)
bus, dev, fn = (int(x, 16) for x in re.match(r"[0-9a-f]+:([0-9a-f]+):([0-9a-f]+)\.([0-7])", BDF).groups())
RID = (bus << 8) | (dev << 3) | fn

apicid, cpu = {}, None
for line in read("cpuinfo.txt").splitlines():
    k, _, v = line.partition(":")
    if k.strip() == "processor":
        cpu = int(v)
    elif k.strip() == "apicid" and cpu is not None:
        apicid[cpu] = int(v)

# L1's ftrace: the kernel's own vector assignments and device messages
ftrace = []
for line in read("ftrace.txt").splitlines():
    t = re.search(r"\s(\d+\.\d+): (vector_config|msiw): (.*)", line)
    if t:
        kv = dict(re.findall(r"(\w+)=(\S+)", t.group(3)))
        ftrace.append((float(t.group(1)), t.group(2), kv))


def l1_vector(irq, before):
    """L1's last vector_config of irq before a time: (vector, cpu, apicdest)."""
    r = None
    for ts, kind, kv in ftrace:
        if kind == "vector_config" and int(kv["irq"]) == irq and ts <= before and int(kv["vector"]):
            r = (int(kv["vector"]), int(kv["cpu"]), int(kv["apicdest"], 16))
    return r


def l1_msg(irq, before):
    r = None
    for ts, kind, kv in ftrace:
        if kind == "msiw" and int(kv["irq"]) == irq and ts <= before:
            r = (int(kv["lo"]), int(kv["hi"]), int(kv["data"]))
    return r


def l1_irqs(name):
    """L1 /proc/interrupts: entry -> (irq, total) for the device's vfio-msix lines."""
    r = {}
    for line in read(name).splitlines():
        t = re.match(r"\s*(\d+):((?:\s+\d+)+)\s.*vfio-msix\[(\d+)\]\(%s\)" % re.escape(BDF), line)
        if t:
            r[int(t.group(3))] = (int(t.group(1)), sum(int(x) for x in t.group(2).split()))
    return r


marks = L.marks()


class L2:
    """The nested guest's own account, from its console lines (L1 uptime first)."""

    def __init__(self, tag):
        self.lines = []
        for line in read(tag + ".l2.log").splitlines():
            t = re.match(r"(\d+\.\d+) (.*)", line)
            if t:
                self.lines.append((float(t.group(1)), t.group(2).rstrip("\r")))
        self.msg, self.vec, self.irqs, self.reads, self.msix = {}, {}, {}, {}, {}
        offs = []
        for recv, text in self.lines:
            if not text.startswith("L2: "):
                continue
            text = text[4:]
            t = re.match(r"TRACE .*msiw: .*irq=(\d+) lo=(\d+) hi=(\d+) data=(\d+)", text)
            if t:
                self.msg[int(t.group(1))] = tuple(int(x) for x in t.group(2, 3, 4))
            t = re.match(r"TRACE .*vector_config: irq=(\d+) vector=(\d+) cpu=(\d+) apicdest=(\S+)", text)
            if t:
                self.vec[int(t.group(1))] = (int(t.group(2)), int(t.group(3)), int(t.group(4), 16))
            t = re.match(r"IRQ (\w) +(\d+):((?:\s+\d+)+)\s+PCI-MSIX-\S+\s+(\d+)-edge\s+(\S+)", text)
            if t:
                self.irqs.setdefault(t.group(1), {})[int(t.group(5 - 1))] = {
                    "irq": int(t.group(2)), "count": sum(int(x) for x in t.group(3).split()), "name": t.group(5)}
            t = re.match(r"READ (\w) (\d+\.\d+) (\d+\.\d+)", text)
            if t:
                self.reads[t.group(1)] = (float(t.group(2)), float(t.group(3)))
                offs.append(recv - float(t.group(3)))
            t = re.match(r"UPTIME (\d+\.\d+)", text)
            if t:
                offs.append(recv - float(t.group(1)))
            t = re.match(r"MSIIRQ (\S+) (\d+) msix", text)
            if t:
                self.msix[int(t.group(2))] = t.group(1)
        # L1 time = L2 uptime + offset; each line's receipt bounds it from above
        self.offset = min(offs) if offs else None
        self.ready = any(t == "L2: READY" for _, t in self.lines)

    def line(self, pat):
        for recv, text in self.lines:
            if re.search(pat, text):
                return "%.2f %s" % (recv, text)
        return None

    def entries(self, tag="B"):
        """MSI-X entry -> {irq, count, name, vector, dest} as L2 itself reports them."""
        r = {}
        for entry, x in self.irqs.get(tag, {}).items():
            y = dict(x)
            msg = self.msg.get(x["irq"])
            if msg:
                y["vector"] = msg[2] & 0xff
                y["dest"] = (msg[0] >> 12) & 0xff
                y["msg"] = msg
            r[entry] = y
        return r


def export(itr):
    """irqtrail's own export of a recording, as a list of events."""
    dst = itr + ".jsonl"
    try:
        p = subprocess.run([IRQTRAIL, "export", itr, "--jsonl", dst], capture_output=True, text=True,
                           timeout=120)
    except OSError as e:
        fail("export", "%s: %s" % (IRQTRAIL, e))
        return []
    if not check(p.returncode == 0, "export", "irqtrail export %s --jsonl: %s" % (os.path.basename(itr),
                                                                             p.stderr.strip()[-200:])):
        return []
    with open(dst) as f:
        evs = [json.loads(line) for line in f if line.strip()]
    os.unlink(dst)
    return evs


def routes_of(rs, kind):
    return {x["entry"]: x for x in rs or [] if x.get("bdf") == BDF and (x["kind"] == "guest") == (kind == "guest")}


# ------------------------------------------------------------------ the run
def scenario(tag, evs):
    print("# run '%s': %s" % (tag, read(tag + ".qemu.cmd").strip()))
    l2 = L2(tag)
    if not check(l2.ready, tag + "-l2-boot", "L2 booted, loaded e1000e and finished its window: %s" %
                 (l2.line("insmod e1000e") or "no insmod line")):
        return None
    qpid = int(read(tag + ".qemu.pid").split()[0])
    qname = re.search(r"-name (\S+)", read(tag + ".qemu.cmd")).group(1)
    ent = l2.entries("B")
    check(ent and all("vector" in x for x in ent.values()), tag + "-l2-account",
          "L2's MSI-X entries with the message its kernel wrote: %s" %
          {e: (x["name"], hex(x.get("vector", -1)), x["count"]) for e, x in sorted(ent.items())})
    ready_t = marks.get(tag + ".ready", 1e18)
    # the broken run has no live routes (it saves a loader under TCG): its recording's
    live = load_json(tag + (".replay.json" if tag == "broken" else ".routes.json"))
    host, guest = routes_of(live, "host"), routes_of(live, "guest")
    l1 = l1_irqs("interrupts.%s.ready.txt" % tag)
    l1_start = l1_irqs("interrupts.%s.start.txt" % tag)
    l1_stop = l1_irqs("interrupts.%s.stopped.txt" % tag)
    if tag == "broken":
        # no KVM irqfds for MSI-X: QEMU injects with KVM_SIGNAL_MSI, no GSI routes
        check(not guest, tag + "-guest-routes", "routes -j: no GSI route/irqfd for %s (%d)" % (BDF, len(guest)))
        guest = {}
        ent_g = {}
    else:
        ent_g = ent
    check(sorted(guest) == sorted(ent_g), tag + "-guest-routes",
          "routes -j: guest routes for %s entries %s, L2 has MSI-X entries %s" % (BDF, sorted(guest), sorted(ent)))
    check(sorted(host) == sorted(l1), tag + "-host-routes",
          "routes -j: host routes for entries %s, L1 /proc/interrupts vfio-msix entries %s" % (sorted(host), sorted(l1)))
    for e in sorted(ent):
        g, h, x = guest.get(e), host.get(e), ent[e]
        if tag == "broken" and h and e in l1:
            irq = l1[e][0]
            check(h["irq"] == irq and h["owner"]["pid"] == qpid, "%s-msix%d-host" % (tag, e),
                  "host irq %s owner %s; L1 vfio-msix[%d] is irq %d, QEMU pid %d" % (h["irq"], h["owner"], e, irq, qpid))
            continue
        if not g or not h or e not in l1:
            fail("%s-entry%d" % (tag, e), "missing: guest route %s host route %s L1 irq %s" % (bool(g), bool(h), e in l1))
            continue
        irq = l1[e][0]
        n = "%s-msix%d" % (tag, e)
        check(g["guest_vector"] == x["vector"] and g["dest"] == x["dest"], n + "-guest-vector",
              "guest vector %#x dest %d; L2 wrote data %#x address %#x (vector %#x dest %d) for irq %d (%s)" %
              (g["guest_vector"], g["dest"], x["msg"][2], x["msg"][0], x["vector"], x["dest"], x["irq"], x["name"]))
        if x["irq"] in l2.vec:
            check(l2.vec[x["irq"]][0] == g["guest_vector"], n + "-guest-vector-domain",
                  "L2's vector domain gave irq %d vector %#x" % (x["irq"], l2.vec[x["irq"]][0]))
        check(g["owner"]["pid"] == qpid and g["owner"]["name"] == qname and g["vm_pid"] == qpid, n + "-owner",
              "owner %s; QEMU pid %d, -name %s" % (g["owner"], qpid, qname))
        check(h["owner"]["pid"] == qpid and h["owner"]["name"] == qname, n + "-host-owner",
              "host irq owner %s" % h["owner"])
        check(g["host_irq"] == irq and h["irq"] == irq, n + "-host-irq",
              "host irq %s (guest route) %s (host route); L1 /proc/interrupts vfio-msix[%d] is irq %d" %
              (g["host_irq"], h["irq"], e, irq))
        check(isinstance(g["gsi"], int) and g["gsi"] >= 0 and isinstance(g["eventfd"], int) and g["eventfd"] >= 0,
              n + "-gsi-eventfd", "eventfd %s -> KVM gsi %s" % (g["eventfd"], g["gsi"]))
        vc = l1_vector(irq, ready_t)
        check(vc is not None and h["vector"] == vc[0] and h["cpu"] == vc[1], n + "-host-vector",
              "host cpu %s vector %s; L1's vector_config: %s" % (h["cpu"], h["vector"], vc))
        t = h.get("irte") or {}
        msg = l1_msg(irq, ready_t)
        if VENDOR == "intel" and msg:
            handle = ((msg[0] >> 5) & 0x7fff) | (((msg[0] >> 2) & 1) << 15)
            remappable = bool(msg[0] & 0x10)
        elif msg:
            handle, remappable = msg[2] & 0xffff, True
        else:
            handle, remappable = None, False
        check(t.get("present") and t.get("vector") == h["vector"] and t.get("dest") == apicid.get(h["cpu"]) and
              t.get("index") == handle and remappable and h["remapped"], n + "-irte",
              "IRTE %s; L1 wrote %s to the device (IRTE %s), cpu %s has APIC id %s" %
              (t, msg and "%#x/%#x" % (msg[0], msg[2]), handle, h["cpu"], apicid.get(h["cpu"])))
        if VENDOR == "intel":
            check(t.get("sid") == RID and t.get("svt") == 1, n + "-irte-sid",
                  "source-id %s svt %s; requester id of %s is %#x" % (t.get("sid"), t.get("svt"), BDF, RID))
        lo = l1[e][1] - l1_start.get(e, (0, 0))[1]
        hi = l1_stop.get(e, l1[e])[1] - l1_start.get(e, (0, 0))[1]
        # the kernel's own count against the recording's vfio_msihandler events
        # (fentry/kprobe tier) and the routes' handler count (irq_handler_entry:
        # a tracepoint program is skipped, unreported, when the interrupt lands
        # on a CPU already running a BPF program; it may be low, never high)
        rec = sum(1 for ev in evs if ev["type"] == "vfio_msi" and ev["irq"] == irq)
        check(lo <= rec <= hi and rec > 0, n + "-host-count",
              "recorded vfio_msihandler runs %d; L1 /proc/interrupts delta from start %d (at stop) .. %d (after "
              "stop)" % (rec, lo, hi))
        check(0 < h["count"] <= hi, n + "-routes-count", "routes -j count %d (L1 delta %d..%d%s)" %
              (h["count"], lo, hi, "" if h["count"] >= lo else "; %d handler run(s) not seen: BPF recursion "
               "protection" % (lo - h["count"])))
        if tag == "good":
            check(g["count"] == h["count"], n + "-injections",
                  "injections %d = host interrupts %d (every one through the irqfd)" % (g["count"], h["count"]))
    return l2, live, ent, host, guest, l1


def window(tag, l2, ent, l1, evs, qpid):
    """Per-vector counts over L2's window (between its reads A and B)."""
    if l2.offset is None or "A" not in l2.reads or "B" not in l2.reads:
        fail(tag + "-window", "L2 printed no window")
        return
    # L1 time = L2 uptime + offset: the receipt of a line bounds the offset
    # from above (l2.offset), its transit (LAT) from below; an interrupt L1
    # handles at t is counted by L2 by t + INJ; RES: /proc/uptime's 10 ms
    LAT, INJ, RES = 0.1, 0.1, 0.02
    a0, a1 = (x + l2.offset for x in l2.reads["A"])
    b0, b1 = (x + l2.offset for x in l2.reads["B"])
    irq_of = {e: l1[e][0] for e in l1}
    for e in sorted(ent):
        a = l2.irqs.get("A", {}).get(e)
        b = l2.irqs.get("B", {}).get(e)
        if not a or not b or e not in irq_of:
            fail("%s-msix%d-window" % (tag, e), "no L2 count A/B or host irq")
            continue
        d = b["count"] - a["count"]

        def count(ts):
            return (sum(1 for t in ts if a1 + RES < t < b0 - LAT - INJ - RES),
                    sum(1 for t in ts if a0 - LAT - INJ - RES < t < b1 + RES))

        def show(r):
            return str(r[0]) if r[0] == r[1] else "%d..%d (one at a window edge)" % r
        # what reached the guest: the vCPU injections of its vector (kvm_inj_virq,
        # not re-injections); MSIs arriving while the vector is still pending in
        # the guest's IRR merge there, so the host may count more
        vec = ent[e].get("vector")
        inj = count([ev["ts"] / 1e9 for ev in evs if ev["type"] == "kvm_inj_virq" and ev["pid"] == qpid and
                     ev["vector"] == vec and not ev.get("reinjected") and not ev.get("soft")])
        host = count([ev["ts"] / 1e9 for ev in evs if ev["type"] == "vfio_msi" and ev["irq"] == irq_of[e]])
        check(inj[0] <= d <= inj[1] and host[1] >= inj[0], "%s-msix%d-window-count" % (tag, e),
              "L2 counted %d (%s) between its reads; irqtrail: %s vCPU injections of vector %#x, from %s "
              "interrupts of host irq %d%s" % (d, b["name"], show(inj), vec, show(host), irq_of[e],
                                                "" if host == inj else " (the rest merged in the guest's IRR)"))
    # the traffic window must have moved something
    check(any(l2.irqs["B"][e]["count"] > l2.irqs["A"][e]["count"] for e in l2.irqs["B"] if e in l2.irqs.get("A", {})),
          tag + "-window-traffic", "L2's ping/arping made interrupts in the window")


def trap_and_delivery(tag, guest, host, evs, replay):
    """The trap and delivery paths: the live routes' and the recording's (whose
    steps are then matched to the recording's own events)."""
    for e, g in sorted(guest.items()):
        trap = g.get("trap") or []
        ts = [s["ts"] for s in trap]
        check(len(trap) == 5 and all(ts) and all(ts[i] <= ts[i + 1] for i in range(4)), "%s-msix%d-trap-live" % (tag, e),
              "live routes -j: %s" % [c["what"] for c in g["changes"] if c["what"].startswith("trap path")])
    guest, host = routes_of(replay, "guest"), routes_of(replay, "host")
    for e, g in sorted(guest.items()):
        n = "%s-msix%d" % (tag, e)
        trap = g.get("trap") or []
        steps = [s["step"] for s in trap]
        ts = [s["ts"] for s in trap]
        good = len(trap) == 5 and all(ts) and all(ts[i] <= ts[i + 1] for i in range(4))
        check(good, n + "-trap-path", " -> ".join("%s %s" % (s["step"], "+%.1fus" % (s["since_prev_ns"] / 1e3)
                                                            if s["since_prev_ns"] is not None else "")
                                                 for s in trap))
        if not good:
            continue
        # each step is a real event of the recording
        def near(pred, t):
            return any(pred(ev) and abs(ev["ts"] - t) <= ev.get("duration_ns", 0) + 1000 for ev in evs)
        irte_idx = host[e]["irte"]["index"]
        checks = [
            near(lambda ev: ev["type"] == "ioctl" and ev["ioctl"] == "KVM_SET_GSI_ROUTING" and ev["pid"] == g["vm_pid"], ts[0]),
            near(lambda ev: ev["type"] == "ioctl" and ev["ioctl"] == "KVM_IRQFD" and ev["pid"] == g["vm_pid"], ts[1]),
            near(lambda ev: ev["type"] == "ioctl" and ev["ioctl"] == "VFIO_DEVICE_SET_IRQS" and ev["pid"] == g["vm_pid"], ts[2]),
            near(lambda ev: ev["type"] == "irte_write" and ev["index"] == irte_idx, ts[3]),
            near(lambda ev: ev["type"] == "msi_write" and ev["irq"] == g["host_irq"], ts[4]),
        ]
        check(all(checks), n + "-trap-events", "steps found in the recording's events: %s" % dict(zip(steps, checks)))
        line = [c["what"] for c in g["changes"] if c["what"].startswith("trap path msix[%d]" % e)]
        if check(len(line) == 1, n + "-trap-change", "change history: %s" % line):
            proven(n + "-trap-change", line[0])
        dl = g.get("delivery_path") or {}
        hops = ("irq->irqfd", "irq->kvm_inject", "irq->vcpu_inject")
        irqfd = sum(1 for ev in evs if ev["type"] == "kvm_irqfd_wakeup" and ev.get("host_irq") == g["host_irq"])
        good = all(dl.get(k) and dl[k]["p50_ns"] <= dl[k]["p99_ns"] for k in hops)
        check(good and dl["irq->irqfd"]["samples"] == irqfd and dl["irq->kvm_inject"]["samples"] == g["count"],
              n + "-delivery", "; ".join("%s p50 %s p99 %s (%s samples)" % (k, dl[k]["p50_ns"], dl[k]["p99_ns"],
                                                                        dl[k]["samples"]) if dl.get(k) else k + " none"
                                       for k in hops) + "; irqfd_wakeup events of irq %s: %d" % (g["host_irq"], irqfd))
        if good:
            proven(n + "-delivery", {k: dl[k] for k in hops})


# ------------------------------------------------------------------ doctor
doc = load_json("doctor.json") or {}
check(bool(doc), "doctor", "doctor -j ran in L1 (%s)" % read("doctor.rc").strip())

evs = export(path("good.itr"))
res = scenario("good", evs)
if res:
    l2, live, ent, host, guest, l1 = res
    window("good", l2, ent, l1, evs, int(read("good.qemu.pid").split()[0]))
    replay = load_json("good.replay.json")
    trap_and_delivery("good", guest, host, evs, replay)
    # the recording replays to the same routes and counts.  routes and record
    # are two processes stopped by one kill: an interrupt between their two
    # stops counts in one only; L1's /proc/interrupts between the snapshot
    # before the kill and the one after both exited bounds how many can
    keys = ("bdf", "entry", "kind", "irq", "cpu", "vector", "apicid", "irte", "owner", "gsi", "msi_address",
            "msi_data", "dest", "guest_vector", "eventfd", "host_irq")

    def ident(rs):
        return {json.dumps({k: x.get(k) for k in keys}, sort_keys=True): x["count"] for x in rs or []
                if x.get("bdf") == BDF}
    a, b = ident(live), ident(replay)
    check(a and sorted(a) == sorted(b), "good-replay", "routes -r of the recording = the live routes -j (%d routes "
          "of %s: %s)" % (len(a), BDF, "same" if sorted(a) == sorted(b) else "live %s replay %s" %
                          (set(a) - set(b), set(b) - set(a))))
    l1r, l1s = l1_irqs("interrupts.good.ready.txt"), l1_irqs("interrupts.good.stopped.txt")
    slack = {l1r[e][0]: l1s.get(e, l1r[e])[1] - l1r[e][1] for e in l1r}
    diffs = []
    good = True
    for k in sorted(set(a) & set(b)):
        x = json.loads(k)
        irq = x["irq"] if x["kind"] != "guest" else x["host_irq"]
        d = a[k] - b[k]
        if d:
            diffs.append("%s irq %s: live %d replay %d (%d interrupt(s) of it while both stopped)" %
                         (x["kind"], irq, a[k], b[k], slack.get(irq, 0)))
        good = good and abs(d) <= slack.get(irq, 0)
    check(good and a, "good-replay-counts", "replayed counts = live counts%s" %
          ("" if not diffs else ", but for interrupts between the two stops: " + "; ".join(diffs)))
    # the VMM side (uprobes on QEMU's exported routing API, issue 7)
    qpid = int(read("good.qemu.pid").split()[0])
    uh = [h for h in doc.get("hooks", []) if h.get("hop") == "vmm-uprobe"]
    check(len(uh) == 3 and all(h["attached"] and h["tier"] == "uprobe" for h in uh), "doctor-uprobes",
          "doctor -j in L1: %s" % [(h["hook"], h["tier"], h["reason"]) for h in uh])
    adds = [ev for ev in evs if ev["type"] == "qemu_add_msi_route" and ev["pid"] == qpid]
    upds = [ev for ev in evs if ev["type"] == "qemu_update_msi_route" and ev["pid"] == qpid]
    commits = [ev for ev in evs if ev["type"] == "qemu_commit_routes" and ev["pid"] == qpid]
    # one table header per ioctl, and a record per MSI entry with the same stamp: one per (ts, tid)
    setgsi = list({(ev["ts"], ev["tid"]): ev for ev in evs if ev["type"] == "ioctl" and
                   ev.get("ioctl") == "KVM_SET_GSI_ROUTING" and ev["pid"] == qpid}.values())
    # every commit_routes issues one KVM_SET_GSI_ROUTING (the kernel's syscall tracepoint)
    follows = all(any(io["tid"] == c["tid"] and 0 <= io["ts"] - io.get("duration_ns", 0) - c["ts"] < 50e6
                      for io in setgsi) for c in commits)
    check(commits and len(commits) == len(setgsi) and follows, "good-uprobe-commit",
          "QEMU pid %d: %d kvm_irqchip_commit_routes (uprobe), %d KVM_SET_GSI_ROUTING ioctls, each commit followed "
          "by its ioctl: %s" % (qpid, len(commits), len(setgsi), follows))
    rg = routes_of(replay, "guest")
    for e, g in sorted(rg.items()):
        n = "good-msix%d-uprobe" % e
        a = [ev for ev in adds if ev["virq"] == g["gsi"]]
        check(a and all(ev["vector"] == e for ev in a), n + "-add",
              "kvm_irqchip_add_msi_route for gsi %d: vectors %s (MSI-X entry %d)" % (g["gsi"], [ev["vector"] for ev in a], e))
        u = [ev for ev in upds if ev["virq"] == g["gsi"]]
        if u:
            check(u[-1]["address"] == g["msi_address"] and u[-1]["data"] == g["msi_data"], n + "-update",
                  "last kvm_irqchip_update_msi_route for gsi %d: %#x/%#x; the route: %#x/%#x (L2's vector %#x)" %
                  (g["gsi"], u[-1]["address"], u[-1]["data"], g["msi_address"], g["msi_data"], ent[e]["vector"]))
        line = "QEMU kvm_irqchip_add_msi_route: device vector %d -> gsi %d" % (e, g["gsi"])
        if check(any(c["what"] == line for c in g["changes"]), n + "-change", "route changes: %s" %
                 [c["what"] for c in g["changes"] if c["what"].startswith("QEMU")]):
            proven(n, line)
    exp = read("good.explain.txt")
    for e, g in sorted(guest.items()):
        want = ["MSI-X entry %d -> host irq %d" % (e, g["host_irq"]),
                "vector %#x" % ent[e]["vector"], "VM %s (pid %d)" % (g["owner"]["name"], g["vm_pid"]),
                "eventfd %d -> KVM irqfd gsi %d" % (g["eventfd"], g["gsi"]), "set up by the trap path",
                "delivery, from the host handler", "remapped through IRTE"]
        miss = [w for w in want if w not in exp]
        check(not miss, "good-explain-msix%d" % e, "explain %s tells %s" % (BDF, "the whole path" if not miss else
                                                                          "but misses %s" % miss))
    chk = load_json("good.check.json") or {}
    check(chk.get("exit") == 0 and not chk.get("findings"), "good-check",
          "check -r on the clean setup: exit %s, findings %s" % (chk.get("exit"), [f["message"] for f in chk.get("findings", [])]))
    proven("good-routes", [x for x in live if x.get("bdf") == BDF and x["kind"] == "guest"][:1])

if VENDOR == "intel" and not os.path.exists(path("broken.qemu.cmd")):
    fail("broken-run", "the broken variant (x-no-kvm-msix) did not run")
if os.path.exists(path("broken.qemu.cmd")):
    res = scenario("broken", export(path("broken.itr")))
    if res:
        l2, live, ent, host, guest, l1 = res
        chk = load_json("broken.check.json") or {}
        found = {}
        for f in chk.get("findings", []):
            t = re.search(r"msix\[(\d+)\] \(host irq (\d+)\)", f["message"])
            if f["rule"] == "IRT007" and t:
                found[int(t.group(1))] = int(t.group(2))
        want = {e: l1[e][0] for e in ent if e in l1}
        check(chk.get("exit") == 1 and found == want, "broken-check",
              "QEMU with x-no-kvm-msix: check -r exit %s, IRT007 eventfd-detour for %s; L2 entries with their "
              "host irqs %s" % (chk.get("exit"), found, want))
        for f in chk.get("findings", []):
            if f["rule"] == "IRT007":
                proven("broken-check", f["message"])
                break

print("%d check(s) failed" % L.failures if L.failures else "all checks passed")
sys.exit(1 if L.failures else 0)

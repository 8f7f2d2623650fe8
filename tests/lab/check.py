#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host-side assertions of the irqtrail lab.

usage: check.py OUTDIR intel|amd KERNEL_FLAVOUR

OUTDIR is the guest's /out (tests/lab/guest/init).  irqtrail's account
(doctor.json, stream.jsonl) is compared with the guest's own: /proc/interrupts
snapshots, effective affinities and APIC ids, the kernel's own ftrace records
(irq_vectors:vector_config, a kprobe event on __pci_write_msi_msg), the
device's MSI-X table and MSI capability, and what the test programs did
(labdev, labkvm).  No expected value is a constant of this file.

Prints one line per check: "ok NAME - detail" or "FAIL NAME - detail", and
"PROVEN NAME: <lab output line>" for the lines that prove a hook caught a
real event.  Exit status 1 if any check failed.
"""
import json
import os
import re
import sys

OUT, VENDOR, FLAV = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labcheck import Lab  # noqa: E402

L = Lab(OUT)
ok, fail, check, proven, path, read = L.ok, L.fail, L.check, L.proven, L.path, L.read


# ---------------------------------------------------------------- guest facts

if not os.path.exists(path("doctor.json")):
    fail("guest-output", "no doctor.json in %s (the guest did not finish; see serial.log)" % OUT)
    sys.exit(1)

marks = L.marks()

apicid = {}
cpu = None
for line in read("cpuinfo.txt").splitlines():
    k, _, v = line.partition(":")
    if k.strip() == "processor":
        cpu = int(v)
    elif k.strip() == "apicid" and cpu is not None:
        apicid[cpu] = int(v)

devices = dict(re.findall(r"(edu|e1000e)=(\S+)", read("devices.txt")))
EDU, E1K = devices.get("edu"), devices.get("e1000e")


def rid(bdf):
    """PCI requester id (bus << 8 | devfn) of a BDF."""
    _, bus, df = bdf.split(":")
    dev, fn = df.split(".")
    return int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn)


def interrupts(tag):
    """irq -> (per-cpu counts, name) from a /proc/interrupts snapshot."""
    res = {}
    text = read("interrupts.%s.txt" % tag)
    lines = text.splitlines()
    if not lines:
        return res
    ncpu = len(lines[0].split())
    for line in lines[1:]:
        m = re.match(r"\s*(\d+):((?:\s+\d+){%d})\s+(.*)$" % ncpu, line)
        if m:
            res[int(m.group(1))] = ([int(x) for x in m.group(2).split()], m.group(3).split()[-1])
    return res


def vfio_irqs(tag, bdf):
    """MSI/MSI-X vector -> host irq, from the vfio names in /proc/interrupts."""
    res = {}
    for irq, (_, name) in interrupts(tag).items():
        m = re.match(r"vfio-msix?\[(\d+)\]\((.+)\)$", name)
        if m and m.group(2) == bdf:
            res[int(m.group(1))] = irq
    return res


def delta(a, b, irq):
    ia, ib = interrupts(a).get(irq), interrupts(b).get(irq)
    if not ia or not ib:
        return None
    return [y - x for x, y in zip(ia[0], ib[0])]


# the kernel's own ftrace records: vector_config and the __pci_write_msi_msg kprobe
vconf = []      # (t, irq, vector, cpu, apicdest)
msiw = []       # (t, irq, lo, hi, data)
for line in read("ftrace.txt").splitlines():
    m = re.search(r"\s(\d+\.\d+): vector_config: irq=(\d+) vector=(\d+) cpu=(\d+) apicdest=(0x[0-9a-f]+)", line)
    if m:
        vconf.append((float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5), 16)))
        continue
    m = re.search(r"\s(\d+\.\d+): msiw: .* irq=(\d+) lo=(\d+) hi=(\d+) data=(\d+)", line)
    if m:
        msiw.append((float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))))


def vector_at(irq, t):
    """(vector, cpu, apicdest) the vector domain last programmed for irq before t."""
    best = None
    for (ts, i, vec, c, dest) in vconf:
        if i == irq and ts <= t:
            best = (vec, c, dest)
    return best


def msg_at(irq, t):
    best = None
    for (ts, i, lo, hi, data) in msiw:
        if i == irq and ts <= t and lo:
            best = (lo, hi, data)
    return best


def irte_dest(entry, cpu):
    """(irqtrail's destination, what the kernel says it should be): the
    vector domain's own apicdest (vector_config); in physical mode also the
    CPU's APIC id from /proc/cpuinfo."""
    if "dest_apic" in entry:
        return entry["dest_apic"], apicid.get(cpu)
    return entry.get("dest_logical"), None


def irte_index(lo, data):
    """IRTE index a remapped MSI designates: Intel remappable format handle
    (+ subhandle when SHV), AMD: the data is the index (bits 10:0, tables of
    up to 2048 entries)."""
    if VENDOR == "intel":
        handle = ((lo >> 5) & 0x7fff) | (((lo >> 2) & 1) << 15)
        if lo & 0x8:
            handle += data & 0xffff
        return handle
    return data & 0x7ff


def msix_entries(name):
    """MSI-X vector -> (addr_lo, addr_hi, data) from a `labdev msix` dump."""
    res = {}
    for line in read(name).splitlines():
        m = re.match(r"LABDEV MSIX_ENTRY \S+ (\d+) addr_lo=(0x\w+) addr_hi=(0x\w+) data=(0x\w+)", line)
        if m:
            res[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16))
    return res


# ---------------------------------------------------------------- irqtrail's account

events = []
bad = 0
for line in read("stream.jsonl").splitlines():
    try:
        events.append(json.loads(line))
    except ValueError:
        bad += 1
check(bad == 0, "stream-json", "%d events, %d unparsable lines" % (len(events), bad))
check(read("stream.rc").strip().endswith("rc=0"), "stream-exit", read("stream.rc").strip())


def ev(type_, t0=None, t1=None, **kw):
    res = []
    for e in events:
        if e.get("type") != type_:
            continue
        t = e["ts"] / 1e9
        if t0 is not None and t < t0:
            continue
        if t1 is not None and t > t1:
            continue
        if all(e.get(k) == v for k, v in kw.items()):
            res.append(e)
    return res


# ---------------------------------------------------------------- doctor

doc = json.loads(read("doctor.json"))
check(read("doctor.rc").strip().endswith("rc=0"), "doctor-exit", read("doctor.rc").strip())
hooks = {h["hook"]: h for h in doc.get("hooks", [])}
need = ["__irq_domain_alloc_irqs", "irq_domain_alloc_irqs_parent", "irq_chip_compose_msi_msg",
        "__pci_write_msi_msg", "vfio_pci_set_irqs_ioctl", "vfio_msi_set_vector_signal", "vfio_msihandler",
        "irq_bypass_register_producer"]
if VENDOR == "intel":
    need.append("modify_irte (intel)")
else:
    need.append("modify_irte (amd)")        # the 32-bit store: attaches, never fires under QEMU (GA only)
    need.append("__modify_irte_ga (amd)" if "__modify_irte_ga (amd)" in hooks and
                hooks["__modify_irte_ga (amd)"]["attached"] else "modify_irte_ga (amd)")
need.append("msi_domain_alloc_irqs_all_locked" if hooks.get("msi_domain_alloc_irqs_all_locked", {}).get("attached")
            else "msi_domain_alloc_irqs_descs_locked")
have_kvm = os.path.exists(path("kvm.txt"))
if have_kvm:
    need += ["irqfd_wakeup", "kvm_set_msi", "kvm_arch_set_irq_inatomic", "kvm_emulate_hypercall",
             "kvm_arch_irq_bypass_add_producer"]
for n in need:
    h = hooks.get(n)
    if check(h is not None and h["attached"] and h["tier"] in ("fentry", "kprobe"), "doctor-attached:" + n,
             "%s: %s" % (h["tier"], h["reason"]) if h else "missing from doctor -j"):
        proven("doctor " + n, {"hook": n, "tier": h["tier"], "reason": h["reason"]})
for h in doc.get("hooks", []):
    if not h["attached"]:
        check(bool(h["reason"].strip()), "doctor-reason:" + h["hook"], h["reason"])
for hop in doc.get("hops", []):
    if hop["hop"] in ("irte-write", "domain-alloc", "msi-write", "msi-compose", "vfio-setup", "vfio-handler"):
        check(hop["visible"] and hop["tier"] in ("fentry", "kprobe"), "doctor-hop:" + hop["hop"],
              "tier %s, %s/%s hooks" % (hop["tier"], hop["attached"], hop["hooks"]))

# ---------------------------------------------------------------- start-up table read

t_s0, t_s1, t_s2, t_s3, t_s4 = (marks.get(k) for k in ("s0", "s1", "s2", "s3", "s4"))
e1k_vec = vfio_irqs("e1k_enabled", E1K)     # vector -> irq while enabled before irqtrail
check(len(e1k_vec) == 5, "guest-e1000e-vectors", "vfio-msix vectors in /proc/interrupts: %s" % e1k_vec)
aff_before = {}
for line in read("affinity.before.txt").splitlines():
    f = line.split()
    aff_before[int(f[3])] = int(f[5].split(",")[0].split("-")[0])
msix_table = msix_entries("msix.before.txt")

snaps = ev("irte_snapshot")
tables = ev("irte_table")
check(tables and tables[0].get("vendor") == VENDOR, "table-read-summary",
      "irte_table %s" % (tables[0] if tables else "absent"))
if tables:
    check(tables[0]["entries"] == len([s for s in snaps if s["vendor"] == VENDOR]), "table-read-count",
          "summary says %d entries, %d irte_snapshot events" % (tables[0]["entries"], len(snaps)))
    check(tables[0]["errors"] == 0, "table-read-errors", "errors=%d" % tables[0]["errors"])
first_ts = min((e["ts"] for e in events), default=0)
t_stream = marks.get("s0")
idx_of = {}     # e1000e vector -> IRTE index (from the kernel's own write and the device's table)
for v, irq in sorted(e1k_vec.items()):
    m = msg_at(irq, t_stream or 1e9)
    if not check(m is not None, "ftrace-msi-write:e1000e[%d]" % v, "kernel's __pci_write_msi_msg record for irq %d" % irq):
        continue
    lo, hi, data = m
    if v in msix_table:
        check(msix_table[v] == (lo, hi, data), "device-msix-table:e1000e[%d]" % v,
              "device holds %s, kernel wrote %s" % ([hex(x) for x in msix_table[v]], [hex(x) for x in m]))
    if VENDOR == "intel":
        check(lo & 0x10, "remappable-format:e1000e[%d]" % v, "address_lo %#x" % lo)
    idx = irte_index(lo, data)
    idx_of[v] = idx
    want = vector_at(irq, t_stream or 1e9)
    cands = [s for s in snaps if s["index"] == idx and (VENDOR == "intel" or s.get("devid") == rid(E1K))]
    if not check(len(cands) == 1, "snapshot-entry:e1000e[%d]" % v,
                 "irq %d -> IRTE index %d: %d snapshot entries" % (irq, idx, len(cands))):
        continue
    s = cands[0]
    n = s["new"]
    cpu_before = aff_before.get(irq)
    detail = "index %d vector %s dest %s %s (kernel: vector %s cpu %s apicdest %s, apicid %s)" % (
        idx, n.get("vector"), n.get("dst_mode"), irte_dest(n, cpu_before)[0], want and want[0], cpu_before,
        want and want[2], apicid.get(cpu_before))
    dest, phys = irte_dest(n, cpu_before)
    good = n["present"] and want is not None and n.get("vector") == want[0] and dest == want[2] and \
        phys in (None, dest)
    if VENDOR == "intel":
        good = good and n.get("sid") == rid(E1K) and n.get("svt") == 1 and n.get("sq") == 0
        detail += " sid %#x (device %#x) svt %s" % (n.get("sid", -1), rid(E1K), n.get("svt"))
    if check(good, "snapshot-values:e1000e[%d]" % v, detail):
        proven("table read e1000e[%d]" % v, s)
    check(s["ts"] <= (t_stream * 1e9 if t_stream else s["ts"]), "snapshot-before-start:e1000e[%d]" % v,
          "read at %.3fs, stream ready at %s" % (s["ts"] / 1e9, t_stream))

# ---------------------------------------------------------------- interrupts counted exactly

for v, irq in sorted(e1k_vec.items()):
    # s3: after the last interrupts, before the vectors are freed
    d = delta("s0", "s3", irq)
    got = len(ev("vfio_msi", t_s0, t_s3, irq=irq))
    if check(d is not None and sum(d) == got and got > 0, "count:e1000e[%d]" % v,
             "irq %d: /proc/interrupts +%s, vfio_msi events %d" % (irq, d, got)):
        proven("vfio_msihandler e1000e[%d]" % v, ev("vfio_msi", t_s0, t_s3, irq=irq)[0])

# ---------------------------------------------------------------- affinity move -> IRTE write

moves = [l.split() for l in read("moves.txt").splitlines() if l.startswith("MOVE")]
check(len(moves) == len(e1k_vec), "guest-moves", "%d vectors moved" % len(moves))
t_mb, t_me = marks.get("move_begin"), marks.get("move_end")
for f in moves:
    v, irq, old, new, eff = int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(f[6].split(",")[0].split("-")[0])
    idx = idx_of.get(v)
    want = vector_at(irq, t_s2 or 1e9)
    writes = [w for w in ev("irte_write", t_mb, t_me, index=idx)
              if VENDOR == "intel" or w.get("devid") == rid(E1K)]
    if not check(writes, "move-irte-write:e1000e[%d]" % v,
                 "irq %d cpu %d -> %d: %d IRTE writes at index %s" % (irq, old, eff, len(writes), idx)):
        continue
    w = writes[-1]
    n, o = w["new"], w.get("old", {})
    dest, phys = irte_dest(n, eff)
    odest, ophys = irte_dest(o, old) if o else (None, None)
    wold = vector_at(irq, t_mb - 0.001) if t_mb else None
    good = n["present"] and want is not None and n.get("vector") == want[0] and dest == want[2] and \
        phys in (None, dest) and wold is not None and odest == wold[2] and ophys in (None, odest)
    if check(good, "move-irte-values:e1000e[%d]" % v,
             "old dest %s (cpu %d, kernel apicdest %s) -> new dest %s vector %s (kernel: cpu %d apicdest %s vector %s)"
             % (odest, old, wold and wold[2], dest, n.get("vector"), eff, want and want[2], want and want[0])):
        proven("IRTE write on affinity move e1000e[%d]" % v, w)
    # the guest's own account agrees: after the move the vector is counted on the new CPU
    d = delta("s2", "s3", irq)
    check(d is not None and d[eff] > 0 and sum(d) == d[eff], "move-lands:e1000e[%d]" % v,
          "/proc/interrupts after the move: +%s on cpus, IRTE names cpu %d" % (d, eff))
    if VENDOR == "intel":
        # with remapping, moving a vector rewrites the IRTE, not the device's message
        mw = ev("msi_write", t_mb, t_me, irq=irq)
        check(not [x for x in mw if x.get("address")], "move-no-msi-rewrite:e1000e[%d]" % v,
              "%d message writes during the move" % len(mw))

# ---------------------------------------------------------------- teardown clears the entries

for v, irq in sorted(e1k_vec.items()):
    idx = idx_of.get(v)
    clears = [w for w in ev("irte_write", t_s3, t_s4, index=idx)
              if not w["new"]["present"] and (VENDOR == "intel" or w.get("devid") == rid(E1K))]
    if check(clears, "teardown-irte-clear:e1000e[%d]" % v, "%d IRTE writes clearing index %s" % (len(clears), idx)):
        proven("IRTE cleared e1000e[%d]" % v, clears[0])
    dis = ev("vfio_vector", t_s3, t_s4, bdf=E1K, vector=v, op="disable")
    if check(dis and dis[0].get("host_irq") == irq and dis[0].get("ret") == 0, "teardown-vfio-vector:e1000e[%d]" % v,
             "vfio_vector disable events %s for irq %d" % ([(d.get("host_irq"), d.get("ret")) for d in dis], irq)):
        proven("vfio_msi_set_vector_signal teardown e1000e[%d]" % v, dis[0])

# ---------------------------------------------------------------- edu: allocation, message, VFIO setup

t_s5, t_s6, t_s7 = marks.get("s5"), marks.get("s6"), marks.get("s7")
edu_vec = vfio_irqs("s5", EDU)
edu_irq = edu_vec.get(0)
t_edu0 = marks.get("s4")
if check(edu_irq is not None, "guest-edu-irq", "vfio-msi[0](%s) -> irq %s" % (EDU, edu_irq)):
    m = re.search(r"addr_lo=(0x\w+) addr_hi=(0x\w+) data=(0x\w+)", read("msi.edu.txt"))
    dev_msg = tuple(int(x, 16) for x in m.groups()) if m else None
    kmsg = msg_at(edu_irq, t_s5 or 1e9)
    check(dev_msg is not None and kmsg is not None and dev_msg == kmsg, "device-msi:edu",
          "device MSI capability %s, kernel wrote %s" % (dev_msg, kmsg))
    writes = [w for w in ev("msi_write", t_edu0, t_s5, irq=edu_irq) if w.get("address")]
    good = writes and kmsg and (writes[-1]["address"] & 0xffffffff, writes[-1]["address"] >> 32,
                                writes[-1]["data"]) == kmsg and writes[-1].get("bdf") == EDU
    if VENDOR == "intel":
        good = good and writes[-1].get("format") == "remappable" and \
            writes[-1].get("irte_handle") == irte_index(kmsg[0], kmsg[2])
    else:   # AMD-Vi: no format bit, the data is the index
        good = good and writes[-1].get("format") == "amd-remapped" and \
            writes[-1].get("irte_index") == irte_index(kmsg[0], kmsg[2]) and "vector" not in writes[-1]
    if check(good, "msi-write:edu", "irqtrail %s, kernel %s" % (writes[-1] if writes else None, kmsg)):
        proven("__pci_write_msi_msg edu", writes[-1])
    comp = [c for c in ev("msi_compose", t_edu0, t_s5, irq=edu_irq) if c.get("address")]
    if check(comp and kmsg and (comp[-1]["address"] & 0xffffffff, comp[-1]["data"]) == (kmsg[0], kmsg[2]),
             "msi-compose:edu", "%s" % (comp[-1] if comp else None)):
        proven("irq_chip_compose_msi_msg edu", comp[-1])
    if kmsg:
        idx = irte_index(kmsg[0], kmsg[2])
        want = vector_at(edu_irq, t_s5)
        wr = [w for w in ev("irte_write", t_edu0, t_s5, index=idx)
              if w["new"]["present"] and (VENDOR == "intel" or w.get("devid") == rid(EDU))]
        good = wr and want and wr[-1]["new"].get("vector") == want[0] and irte_dest(wr[-1]["new"], want[1])[0] == want[2]
        if check(good, "irte-write:edu", "index %d: %s (kernel: vector/cpu/apicdest %s)" %
                 (idx, wr[-1]["new"] if wr else None, want)):
            proven("IRTE write edu activation", wr[-1])
    da = ev("domain_alloc", t_edu0, t_s5, ret=edu_irq)
    if check(da, "domain-alloc:edu", "__irq_domain_alloc_irqs returning virq %d: %s" % (edu_irq, da[:1])):
        proven("__irq_domain_alloc_irqs edu", da[0])
    chain = ev("domain_alloc_parent", t_edu0, t_s5, irq_base=edu_irq)
    parents = [c["parent"] for c in chain if c["ret"] == 0]
    ir = "INTEL-IR" if VENDOR == "intel" else "AMD-IR"
    if check(any(p.startswith(ir) for p in parents) and "VECTOR" in parents, "domain-chain:edu",
             "irq %d: %s" % (edu_irq, " ; ".join("%s -> %s" % (c["domain"], c["parent"]) for c in chain))):
        proven("irq_domain_alloc_irqs_parent edu", chain[0])
    ma = [m for m in ev("msi_domain_alloc", t_edu0, t_s5) if m.get("device") == EDU]
    if check(ma and ma[0]["ret"] == 0 and ma[0]["nvec"] == 1, "msi-domain-alloc:edu", "%s" % ma[:1]):
        proven("MSI domain entry edu", ma[0])
    si = ev("vfio_set_irqs", t_edu0, t_s5, bdf=EDU, irq_kind="msi", count=1)
    if check(si and si[0]["ret"] == 0 and len(si[0].get("fds", [])) == 1, "vfio-set-irqs:edu", "%s" % si[:1]):
        proven("vfio_pci_set_irqs_ioctl edu", si[0])
    vv = ev("vfio_vector", t_edu0, t_s5, bdf=EDU, op="enable")
    name = interrupts("s5").get(edu_irq, ([], ""))[1]
    if check(vv and vv[0]["host_irq"] == edu_irq and vv[0].get("name") == name and vv[0]["ret"] == 0,
             "vfio-vector:edu", "irqtrail %s, /proc/interrupts irq %d %s" % (vv[:1], edu_irq, name)):
        proven("vfio_msi_set_vector_signal edu", vv[0])
    bp = ev("bypass_producer", t_edu0, t_s5, op="register", irq=edu_irq)
    if check(bp and bp[0]["ret"] == 0, "bypass-register:edu", "%s" % bp[:1]):
        proven("irq_bypass_register_producer edu", bp[0])
    d = delta("s5", "s6", edu_irq)
    got = len(ev("vfio_msi", t_s5, t_s6, irq=edu_irq))
    if check(d is not None and sum(d) == got and got > 0, "count:edu",
             "irq %d: /proc/interrupts +%s, vfio_msi events %d" % (edu_irq, d, got)):
        proven("vfio_msihandler edu", ev("vfio_msi", t_s5, t_s6, irq=edu_irq)[0])

# ---------------------------------------------------------------- KVM

if have_kvm:
    kvm = read("kvm.txt")
    t_k0, t_k1 = marks.get("k0"), marks.get("k1")
    m = re.search(r"HYPERCALLS nr=(0x\w+) a0=(0x\w+) executed=(\d+) handled=(\d+) result=(-?\d+)", kvm)
    if check(m is not None, "labkvm-hypercalls", kvm.splitlines()[0] if kvm else "no output"):
        nr, a0, n, handled, res = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)), int(m.group(4)), int(m.group(5))
        hc = ev("kvm_emulate_hypercall", t_k0, t_k1, nr=nr)
        tp = ev("hypercall_kvm", t_k0, t_k1, nr=nr)
        good = len(hc) == handled and all(h["a0"] == a0 and h["result"] == res for h in hc)
        if check(good, "hypercalls", "VMM: %d handled, result %d; kvm_emulate_hypercall events %d %s; kvm:kvm_hypercall %d"
                 % (handled, res, len(hc), [(h["a0"], h["result"]) for h in hc][:2], len(tp))):
            proven("kvm_emulate_hypercall", hc[0])
    m = re.search(r"SIGNAL_MSI count=(\d+) address=(0x\w+) data=(0x\w+)", kvm)
    if m:
        n, addr, data = int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16)
        sm = ev("kvm_set_msi", t_k0, t_k1, address=addr, data=data)
        if check(len(sm) == n, "kvm-set-msi", "VMM signalled %d, kvm_set_msi events %d" % (n, len(sm))):
            proven("kvm_set_msi", sm[0])
    m = re.search(r"IRQFD gsi=(\d+) writes=(\d+) address=(0x\w+) data=(0x\w+)", kvm)
    if m:
        gsi, n, addr, data = int(m.group(1)), int(m.group(2)), int(m.group(3), 16), int(m.group(4), 16)
        wk = [w for w in ev("kvm_irqfd_wakeup", t_k0, t_k1, gsi=gsi) if not w.get("hangup")]
        fast = ev("kvm_set_irq_inatomic", t_k0, t_k1, gsi=gsi)
        good = len(wk) == n and all(w["address"] == addr and w["data"] == data for w in wk)
        if check(good, "irqfd-wakeup", "VMM wrote the eventfd %d times; irqfd_wakeup gsi %d: %d" % (n, gsi, len(wk))):
            proven("irqfd_wakeup", wk[0])
        if check(len(fast) == n and all(f["ret"] == 0 for f in fast), "irqfd-fast-path",
                 "kvm_arch_set_irq_inatomic gsi %d: %d, ret %s" % (gsi, len(fast), [f["ret"] for f in fast])):
            proven("kvm_arch_set_irq_inatomic", fast[0])
    # a SET_IRQS naming an fd that is not open: the failure, with the kernel's
    # error code, at each level (ioctl, vfio_pci_set_irqs_ioctl, the vector)
    m = re.search(r"SET_IRQS_BAD bdf=(\S+) fd=(\d+) ret=(-?\d+) errno=(\d+)", kvm)
    if check(m is not None and int(m.group(3)) < 0, "labkvm-setirqs-bad", m.group(0) if m else "no SET_IRQS_BAD line"):
        bdf, bfd, err = m.group(1), int(m.group(2)), -int(m.group(4))
        io = [e for e in ev("ioctl", t_k0, t_k1, ioctl="VFIO_DEVICE_SET_IRQS") if e.get("ret") == err]
        si = [e for e in ev("vfio_set_irqs", t_k0, t_k1, bdf=bdf, ret=err) if bfd in e.get("fds", [])]
        vv = ev("vfio_vector", t_k0, t_k1, bdf=bdf, fd=bfd, ret=err)
        if check(len(io) == 1, "setirqs-fail:ioctl", "VMM errno %d; ioctl events with ret %d: %d" % (-err, err, len(io))):
            proven("VFIO_DEVICE_SET_IRQS failure (ioctl)", io[0])
        if check(len(si) == 1, "setirqs-fail:vfio", "vfio_pci_set_irqs_ioctl ret %d with fd %d: %d" % (err, bfd, len(si))):
            proven("vfio_pci_set_irqs_ioctl failure", si[0])
        if check(len(vv) == 1, "setirqs-fail:vector", "vfio_msi_set_vector_signal fd %d ret %d: %d" % (bfd, err, len(vv))):
            proven("vfio_msi_set_vector_signal failure", vv[0])
    b = re.search(r"EDU_IRQ_BEFORE\s+(\d+):((?:\s+\d+)+)\s+\S+", kvm)
    a = re.search(r"EDU_IRQ_AFTER\s+(\d+):((?:\s+\d+)+)\s+\S+", kvm)
    if check(a is not None and b is not None, "labkvm-edu-irq", "guest /proc/interrupts lines around the VFIO->irqfd test"):
        irq = int(a.group(1))
        n = sum(int(x) for x in a.group(2).split()[:len(apicid)]) - sum(int(x) for x in b.group(2).split()[:len(apicid)])
        wk = [w for w in ev("kvm_irqfd_wakeup", t_k0, t_k1, gsi=31) if not w.get("hangup")]
        vm = ev("vfio_msi", t_k0, t_k1, irq=irq)
        if check(n > 0 and len(wk) == n == len(vm), "vfio-to-irqfd",
                 "edu irq %d: /proc/interrupts +%d, vfio_msi %d, irqfd_wakeup gsi 31 %d" % (irq, n, len(vm), len(wk))):
            proven("device interrupt -> vfio_msihandler -> irqfd_wakeup", wk[0])
        # KVM registers a bypass consumer only where interrupts can be posted
        # (kvm_arch_has_irq_bypass(): APICv/AVIC and IRQ_POSTING_CAP), which
        # TCG does not emulate: kvm_arch_irq_bypass_add_producer can only be
        # checked to attach (doctor above); if it ever fires, it must agree.
        add = ev("kvm_bypass", t_k0, t_k1, op="add")
        check(all(a["irq"] == irq and a["gsi"] == 31 for a in add), "bypass-add",
              "%d kvm_arch_irq_bypass_add_producer events %s" % (len(add), add[:1]))

# ---------------------------------------------------------------- allocation failure

alloc = read("allocfail.txt")
if alloc:
    m = re.search(r"ALLOC_MANY bdf=(\S+) vectors=(\d+) ret=(-?\d+) errno=(\d+)", alloc)
    # VFIO answers -errno, or the number of vectors it could have had (a
    # positive return: pci_alloc_irq_vectors gave fewer than asked)
    if check(m is not None and int(m.group(3)) != 0, "labkvm-alloc-many", m.group(0) if m else alloc.strip()[:200]):
        bdf, nv = m.group(1), int(m.group(2))
        err = int(m.group(3)) if int(m.group(3)) > 0 else -int(m.group(4))
        t_a0, t_a1 = marks.get("a0"), marks.get("a1")
        io = [e for e in ev("ioctl", t_a0, t_a1, ioctl="VFIO_DEVICE_SET_IRQS") if e.get("ret") == err]
        si = ev("vfio_set_irqs", t_a0, t_a1, bdf=bdf, count=nv, ret=err)
        if check(len(io) == 1, "allocfail:ioctl", "VMM got %d for %d vectors; ioctl events with ret %d: %d"
                 % (err, nv, err, len(io))):
            proven("VFIO_DEVICE_SET_IRQS allocation failure (ioctl)", io[0])
        if check(len(si) == 1, "allocfail:vfio", "vfio_pci_set_irqs_ioctl %s count %d ret %d: %d" % (bdf, nv, err, len(si))):
            proven("vfio_pci_set_irqs_ioctl allocation failure", si[0])
        # where it failed: the first allocation-level event with an error code
        # (irqdomain chain, MSI domain entry, vector assignment, VFIO vector)
        levels = ("domain_alloc_parent", "domain_alloc", "msi_domain_alloc", "vector_alloc", "vector_activate",
                  "vfio_vector")
        fails = sorted((e for e in events if e.get("type") in levels and isinstance(e.get("ret"), int) and e["ret"] < 0
                        and t_a0 <= e["ts"] / 1e9 <= t_a1), key=lambda e: e["ts"])
        if check(bool(fails), "allocfail:where", "failing allocation events: %s" %
                 sorted(set((e["type"], e["ret"]) for e in fails))):
            proven("allocation failure (%s)" % fails[0]["type"], fails[0])

# ---------------------------------------------------------------- routes / record (other commands)

if os.path.exists(path("routes.json")):
    try:
        rj = json.loads(read("routes.json"))
        irqs = set(int(l.split()[1]) for l in read("routes.e1k.irqs.txt").splitlines() if l.strip())
        seen = set(r.get("irq") for r in rj if isinstance(r, dict) and r.get("bdf") == E1K)
        check(read("routes.rc").strip().endswith("rc=0") and irqs <= seen, "routes-json",
              "e1000e irqs %s listed: %s" % (sorted(irqs), sorted(x for x in seen if x is not None)))
        # each e1000e vector's IRTE is the one its MSI-X entry (as the device
        # held it during the run) designates; irqs of plain chips (AMD-Vi's
        # own PCI-MSI) are not remapped
        held = msix_entries("msix.routes.txt")
        rows = [r for r in rj if isinstance(r, dict) and r.get("bdf") == E1K and r.get("irq") in irqs]
        bad = ["entry %s: irte %s, MSI-X entry %s" % (r.get("entry"), r.get("irte"), held.get(r.get("entry")))
               for r in rows if not (r.get("entry") in held and r.get("remapped") and r.get("irte") and
                                     r["irte"].get("index") == irte_index(held[r["entry"]][0], held[r["entry"]][2]))]
        if check(held and len(rows) == len(irqs) and not bad, "routes-irte-index",
                 "; ".join(bad) or "%d e1000e vectors, IRTE index = the MSI-X entry's" % len(rows)):
            proven("routes -j IRTE join", rows[0])
        plain = [r for r in rj if isinstance(r, dict) and r.get("kind") in ("msi", "msix") and r.get("chip") and
                 not r["chip"].startswith("IR-") and r.get("remapped")]
        check(not plain, "routes-plain-not-remapped", "; ".join("irq %s chip %s" % (r.get("irq"), r.get("chip"))
                                                                 for r in plain) or "none listed as remapped")
    except (ValueError, TypeError) as e:
        fail("routes-json", "unparsable: %s" % e)
# ---------------------------------------------------------------- VM state at start (iterator)

stand = read("kvmstand.txt")
if have_kvm or stand:
    sm = re.search(r"STANDING pid=(\d+) vmfd=(\d+) entries=(\d+)", stand)
    if check(sm is not None and "LABKVM READY" in stand, "labkvm-standing", stand.splitlines()[0] if stand else "no output"):
        spid, nent = int(sm.group(1)), int(sm.group(3))
        want = {}
        for m in re.finditer(r"ROUTE gsi=(\d+) address=(0x\w+) data=(0x\w+) dest=(\d+) vector=(0x\w+) "
                             r"dest_mode=(\w+) trigger=(\w+)", stand):
            want[int(m.group(1))] = {"msi_address": int(m.group(2), 16), "msi_data": int(m.group(3), 16),
                                     "dest": int(m.group(4)), "guest_vector": int(m.group(5), 16),
                                     "dest_mode": m.group(6), "trigger": m.group(7)}
        efds = {int(g): int(e) for g, e in re.findall(r"IRQFD_BOUND gsi=(\d+) eventfd=(\d+)", stand)}
        h = hooks.get("iter/task_file (VM state at start)")
        if check(h is not None and h["attached"] and h["tier"] == "iterator", "doctor-attached:vm-state",
                 "%s: %s" % (h["tier"], h["reason"]) if h else "missing from doctor -j"):
            # doctor ran while only the standing VM existed: its counts are that VM's
            m = re.search(r"read (\d+) VMs? \((\d+) process(?:es)?\): (\d+) MSI routes of (\d+) entries, (\d+) irqfds",
                          h["reason"])
            got = tuple(int(x) for x in m.groups()) if m else None
            if check(got == (1, 1, len(want), nent, len(efds)), "iterator-counts",
                     "doctor: %s; labkvm: 1 VM, %d MSI routes of %d entries, %d irqfds"
                     % (got, len(want), nent, len(efds))):
                proven("iter/task_file VM state (counts)", {"hook": h["hook"], "reason": h["reason"]})
        if os.path.exists(path("routes.json")):
            try:
                rows = [r for r in json.loads(read("routes.json"))
                        if isinstance(r, dict) and r.get("kind") == "guest" and r.get("vm_pid") == spid]
            except ValueError:
                rows = []
            got = {r.get("gsi"): r for r in rows}
            bad = []
            if sorted(got) != sorted(want) or len(rows) != len(want):
                bad.append("gsis %s, labkvm installed %s" % (sorted(r.get("gsi") for r in rows), sorted(want)))
            for g, w in want.items():
                r = got.get(g, {})
                for k, v in w.items():
                    if r.get(k) != v:
                        bad.append("gsi %d %s=%r, labkvm %r" % (g, k, r.get(k), v))
                if r.get("eventfd") != efds.get(g):
                    bad.append("gsi %d eventfd=%r, labkvm bound %r" % (g, r.get("eventfd"), efds.get(g)))
                if r.get("source") != "iterator":
                    bad.append("gsi %d source=%r" % (g, r.get("source")))
            if check(not bad, "routes-iterator", "; ".join(bad[:6]) or
                     "%d routes of pid %d (set up before start) as labkvm installed them" % (len(rows), spid)):
                proven("routes -j, VM set up before start (iterator)", rows[0])

if os.path.exists(path("record.rc")):
    check(read("record.rc").strip().endswith("rc=0") and os.path.getsize(path("lab.itr")) > 0, "record",
          "%s, %d bytes" % (read("record.rc").strip(), os.path.getsize(path("lab.itr")) if os.path.exists(path("lab.itr")) else 0))

print("%d checks failed" % L.failures)
sys.exit(1 if L.failures else 0)

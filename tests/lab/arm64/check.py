#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host-side assertions of the arm64 lab (GICv3 ITS + SMMUv3).

usage: check.py OUTDIR KERNEL_FLAVOUR smmuv3|none

OUTDIR is the guest's /out (tests/lab/arm64/init).  irqtrail's account
(doctor.json, stream.jsonl, routes.json) is compared with the guest's own:
/proc/interrupts snapshots (irq, LPI = hwirq, counts), the VFIO groups'
reserved regions, the device's MSI-X table and MSI capability, the
kernel's own ftrace kprobe events (__pci_write_msi_msg: what the device is
given; iommu_dma_prepare_msi: the ITS doorbell's physical address;
iommu_map: the doorbell page's IOVA) and what labdev did.  No expected
value is a constant of this file.

Prints "ok NAME - detail" / "FAIL NAME - detail" per check and
"PROVEN NAME: <line>" for the lines that prove a hook caught a real event.
Exit status 1 if any check failed.
"""
import json
import os
import re
import sys

OUT, FLAV, IOMMU = sys.argv[1], sys.argv[2], sys.argv[3]
SMMU = IOMMU != "none"
failures = 0


def ok(name, detail=""):
    print("ok %s - %s" % (name, detail))


def fail(name, detail=""):
    global failures
    failures += 1
    print("FAIL %s - %s" % (name, detail))


def check(cond, name, detail=""):
    (ok if cond else fail)(name, detail)
    return cond


def proven(name, ev):
    line = json.dumps(ev, separators=(",", ":")) if isinstance(ev, dict) else str(ev)
    print("PROVEN %s: %s" % (name, line[:400]))


def path(name):
    return os.path.join(OUT, name)


def read(name, default=""):
    try:
        with open(path(name), errors="replace") as f:
            return f.read()
    except OSError:
        return default


if not os.path.exists(path("doctor.json")):
    fail("guest-output", "no doctor.json in %s (the guest did not finish; see serial.log)" % OUT)
    sys.exit(1)

marks = {}
for line in read("marks.txt").splitlines():
    k, _, v = line.partition(" ")
    marks[k] = float(v)
devices = dict(re.findall(r"(edu|e1000e)=(\S+)", read("devices.txt")))
EDU, E1K = devices.get("edu"), devices.get("e1000e")
check(read("machine.txt").strip() == "aarch64", "guest-arch", read("machine.txt").strip())


def interrupts(tag):
    """irq -> (per-cpu counts, chip, hwirq, name) from a /proc/interrupts
    snapshot (arm64: "irq: counts... chip hwirq flow name")."""
    res = {}
    lines = read("interrupts.%s.txt" % tag).splitlines()
    if not lines:
        return res
    ncpu = len(lines[0].split())
    for line in lines[1:]:
        m = re.match(r"\s*(\d+):((?:\s+\d+){%d})\s+(\S+)\s+(\d+)\s+(.*)$" % ncpu, line)
        if m:
            res[int(m.group(1))] = ([int(x) for x in m.group(2).split()], m.group(3), int(m.group(4)),
                                    m.group(5).split()[-1])
    return res


def vfio_irqs(tag, bdf):
    """MSI/MSI-X vector -> host irq, from the vfio names in /proc/interrupts."""
    res = {}
    for irq, (_, _, _, name) in interrupts(tag).items():
        m = re.match(r"vfio-msix?\[(\d+)\]\((.+)\)$", name)
        if m and m.group(2) == bdf:
            res[int(m.group(1))] = irq
    return res


def delta(a, b, irq):
    ia, ib = interrupts(a).get(irq), interrupts(b).get(irq)
    if not ia or not ib:
        return None
    return sum(ib[0]) - sum(ia[0])


def resv(bdf):
    """(start, end) of the 'msi' reserved region of the device's group."""
    for line in read("resv.%s.txt" % bdf).splitlines():
        f = line.split()
        if len(f) >= 3 and f[2] == "msi":
            return int(f[0], 16), int(f[1], 16)
    return None


# the kernel's own ftrace records
msiw, prep, maps = [], [], []
for line in read("ftrace.txt").splitlines():
    m = re.search(r"\s(\d+\.\d+): msiw: .* irq=(\d+) lo=(\d+) hi=(\d+) data=(\d+)", line)
    if m:
        msiw.append((float(m.group(1)), int(m.group(2)), int(m.group(3)) | int(m.group(4)) << 32, int(m.group(5))))
        continue
    m = re.search(r"\s(\d+\.\d+): prep: .* phys=(0x[0-9a-f]+)", line)
    if m:
        prep.append((float(m.group(1)), int(m.group(2), 16)))
        continue
    m = re.search(r"\s(\d+\.\d+): map: .* iova=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+) size=(0x[0-9a-f]+)", line)
    if m:
        maps.append((float(m.group(1)), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)))


def msg_at(irq, t0, t1):
    """last non-zero message the kernel wrote for irq within [t0, t1]."""
    best = None
    for (ts, i, addr, data) in msiw:
        if i == irq and t0 <= ts <= t1 and addr:
            best = (addr, data)
    return best


def msix_table(name):
    res = {}
    for m in re.finditer(r"MSIX_ENTRY \S+ (\d+) addr_lo=(0x[0-9a-f]+) addr_hi=(0x[0-9a-f]+) data=(0x[0-9a-f]+)", read(name)):
        res[int(m.group(1))] = (int(m.group(2), 16) | int(m.group(3), 16) << 32, int(m.group(4), 16))
    return res


# ---------------------------------------------------------------- irqtrail's stream

events, bad = [], 0
for line in read("stream.jsonl").splitlines():
    try:
        events.append(json.loads(line))
    except ValueError:
        bad += 1
check(bad == 0 and events, "stream-json", "%d events, %d unparsable lines" % (len(events), bad))
check(read("stream.rc").strip().endswith("rc=0"), "stream-exit", read("stream.rc").strip())


def ev(type_, t0=None, t1=None, **kw):
    res = []
    for e in events:
        if e.get("type") != type_:
            continue
        t = e["ts"] / 1e9
        if (t0 is not None and t < t0) or (t1 is not None and t > t1):
            continue
        if all(e.get(k) == v for k, v in kw.items()):
            res.append(e)
    return res


# ---------------------------------------------------------------- doctor

doc = json.loads(read("doctor.json"))
check(read("doctor.rc").strip().endswith("rc=0"), "doctor-exit", read("doctor.rc").strip())
feat = doc.get("features", {})
if FLAV == "6.1":
    # 6.1 arm64 has no BPF trampolines: fentry must be reported, not hidden
    check(feat.get("fentry") is False and "524" in feat.get("fentry_reason", ""), "doctor-fentry-unsupported",
          "fentry=%s: %s" % (feat.get("fentry"), feat.get("fentry_reason")))
    tier = "kprobe"
else:
    check(feat.get("fentry") is True, "doctor-fentry", "fentry=%s: %s" % (feat.get("fentry"), feat.get("fentry_reason")))
    tier = "fentry"
check(feat.get("kprobes") is True, "doctor-kprobes", feat.get("kprobe_reason", ""))
hooks = {h["hook"]: h for h in doc.get("hooks", [])}
need = ["__irq_domain_alloc_irqs", "irq_domain_alloc_irqs_parent", "irq_chip_compose_msi_msg",
        "__pci_write_msi_msg", "vfio_pci_set_irqs_ioctl", "vfio_msi_set_vector_signal", "vfio_msihandler"]
need.append("msi_domain_alloc_irqs_all_locked" if "msi_domain_alloc_irqs_all_locked" in hooks and
            hooks["msi_domain_alloc_irqs_all_locked"]["attached"] else "msi_domain_alloc_irqs_descs_locked")
for n in need:
    h = hooks.get(n)
    if check(h is not None and h["attached"] and h["tier"] == tier, "doctor-attached:" + n,
             "%s: %s" % (h["tier"], h["reason"]) if h else "missing from doctor -j"):
        proven("doctor " + n, {"hook": n, "tier": h["tier"], "reason": h["reason"]})
for h in doc.get("hooks", []):
    if not h["attached"]:
        check(bool(h["reason"].strip()), "doctor-reason:" + h["hook"], h["reason"])

# ---------------------------------------------------------------- interrupts counted exactly


def count_check(tag, bdf, a, b, name):
    vec = vfio_irqs(a, bdf)
    check(len(vec) > 0, "guest-vectors:" + name, "vfio vectors in /proc/interrupts at %s: %s" % (a, vec))
    for v, irq in sorted(vec.items()):
        d = delta(a, b, irq)
        got = ev("vfio_msi", marks.get(a), marks.get(b), irq=irq)
        if check(d is not None and d > 0 and d == len(got), "count:%s[%d]" % (name, v),
                 "irq %d: /proc/interrupts +%s, vfio_msi events %d" % (irq, d, len(got))):
            proven("vfio_msihandler %s[%d]" % (name, v), got[0])
    return vec


count_check("e1k", E1K, "s0", "s1", "e1000e")
edu_vec = count_check("edu", EDU, "s3", "s4", "edu")
e1k_vec = count_check("e1k1", E1K, "s5", "s6", "e1000e-2")

# ---------------------------------------------------------------- the doorbell the devices hold

doorbell_pa = prep[-1][1] if prep else None
if SMMU:
    check(doorbell_pa is not None, "kernel-doorbell", "iommu_dma_prepare_msi records: %d" % len(prep))
for name, bdf, vec, t0, t1, held in (("edu", EDU, edu_vec, marks.get("s2"), marks.get("s3"), None),
                                      ("e1000e-2", E1K, e1k_vec, marks.get("s4"), marks.get("s5"),
                                       msix_table("msix.during.txt"))):
    if t0 is None or t1 is None:
        fail("marks:" + name, "missing marks")
        continue
    window = resv(bdf)
    if SMMU:
        check(window is not None, "resv-msi:" + name, "group reserved regions: %s" % read("resv.%s.txt" % bdf).split("\n"))
    if name == "edu":
        m = re.search(r"MSI \S+ enabled=1 addr_lo=(0x[0-9a-f]+) addr_hi=(0x[0-9a-f]+) data=(0x[0-9a-f]+)", read("msi.edu.txt"))
        held = {0: (int(m.group(1), 16) | int(m.group(2), 16) << 32, int(m.group(3), 16))} if m else {}
    for v, irq in sorted(vec.items()):
        k = msg_at(irq, t0, t1)
        w = [e for e in ev("msi_write", t0, t1, irq=irq) if e.get("address")]
        if not check(k is not None, "ftrace-msi-write:%s[%d]" % (name, v), "kernel's __pci_write_msi_msg for irq %d" % irq):
            continue
        if check(w and (w[-1]["address"], w[-1]["data"]) == k, "msi-write:%s[%d]" % (name, v),
                 "irqtrail %s, kernel %s" % ([(hex(e["address"]), e["data"]) for e in w][-1:], (hex(k[0]), k[1]))):
            proven("__pci_write_msi_msg %s[%d]" % (name, v), w[-1])
        check(held.get(v) == k, "device-holds:%s[%d]" % (name, v),
              "device %s, kernel wrote %s" % (held.get(v) and (hex(held[v][0]), held[v][1]), (hex(k[0]), k[1])))
        if SMMU and window and doorbell_pa is not None:
            # the device must hold an IOVA of the msi window, mapped to the ITS doorbell page
            pg = [mp for mp in maps if mp[1] <= k[0] < mp[1] + mp[3]]
            check(window[0] <= k[0] <= window[1] and k[0] != doorbell_pa, "doorbell-iova:%s[%d]" % (name, v),
                  "device holds %#x, msi window %#x-%#x, ITS doorbell %#x" % (k[0], window[0], window[1], doorbell_pa))
            check(pg and pg[-1][2] + (k[0] - pg[-1][1]) == doorbell_pa, "doorbell-map:%s[%d]" % (name, v),
                  "iommu_map %s" % ["%#x->%#x" % (p[1], p[2]) for p in pg[-1:]])
        elif not SMMU and doorbell_pa is None:
            ok("doorbell-phys:%s[%d]" % (name, v), "no SMMU: device holds %#x" % k[0])

# ---------------------------------------------------------------- routes / record

if os.path.exists(path("routes.json")):
    try:
        rj = json.loads(read("routes.json"))
        irqs = set(int(l.split()[1]) for l in read("routes.e1k.irqs.txt").splitlines() if l.strip())
        seen = set(r.get("irq") for r in rj if isinstance(r, dict) and r.get("bdf") == E1K)
        check(read("routes.rc").strip().endswith("rc=0") and irqs and irqs <= seen, "routes-json",
              "e1000e irqs %s listed: %s" % (sorted(irqs), sorted(x for x in seen if x is not None)))
    except (ValueError, TypeError) as e:
        fail("routes-json", "unparsable: %s" % e)
if os.path.exists(path("record.rc")):
    check(read("record.rc").strip().endswith("rc=0") and os.path.getsize(path("lab.itr")) > 0, "record",
          "%s, %d bytes" % (read("record.rc").strip(), os.path.getsize(path("lab.itr")) if os.path.exists(path("lab.itr")) else 0))

print("%d checks failed" % failures)
sys.exit(1 if failures else 0)

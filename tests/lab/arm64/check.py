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
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from labcheck import Lab  # noqa: E402

L = Lab(OUT)
ok, fail, check, proven, path, read = L.ok, L.fail, L.check, L.proven, L.path, L.read


if not os.path.exists(path("doctor.json")):
    fail("guest-output", "no doctor.json in %s (the guest did not finish; see serial.log)" % OUT)
    sys.exit(1)

marks = L.marks()
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
msiw, prep, maps, itsdev, itsact = [], [], [], [], []
for line in read("ftrace.txt").splitlines():
    m = re.search(r"\s(\d+\.\d+): msiw: .* irq=(\d+) lo=(\d+) hi=(\d+) data=(\d+)", line)
    if m:
        msiw.append((float(m.group(1)), int(m.group(2)), int(m.group(3)) | int(m.group(4)) << 32, int(m.group(5))))
        continue
    m = re.search(r"\s(\d+\.\d+): prep: .* phys=(0x[0-9a-f]+)", line)
    if m:
        prep.append((float(m.group(1)), int(m.group(2), 16)))
        continue
    m = re.search(r"\s(\d+\.\d+): itsact: .* irq=(\d+) hwirq=(\d+)", line)
    if m:
        itsact.append((float(m.group(1)), int(m.group(2)), int(m.group(3))))
        continue
    m = re.search(r"\s(\d+\.\d+): itsdev: .* dev_id=(\d+) nvecs=(-?\d+)", line)
    if m:
        itsdev.append((float(m.group(1)), int(m.group(2)), int(m.group(3))))
        continue
    m = re.search(r"\s(\d+\.\d+): map: .* iova=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+) size=(0x[0-9a-f]+)", line)
    if m:
        maps.append((float(m.group(1)), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)))


def affinity(tag):
    res = {}
    for line in read("affinity.%s.txt" % tag).splitlines():
        f = line.split()
        if len(f) == 3:
            res[int(f[1])] = int(f[2].split(",")[0].split("-")[0])
    return res


doorbell_pa = prep[-1][1] if prep else None


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
if SMMU:
    need += ["iommu_dma_prepare_msi", "iommu_dma_compose_msi_msg", "iommu_get_msi_cookie"]
need += ["its_create_device", "its_irq_domain_activate", "its_build_mapti_cmd", "its_irq_compose_msi_msg"]
for n in need:
    h = hooks.get(n)
    if check(h is not None and h["attached"] and h["tier"] == tier, "doctor-attached:" + n,
             "%s: %s" % (h["tier"], h["reason"]) if h else "missing from doctor -j"):
        proven("doctor " + n, {"hook": n, "tier": h["tier"], "reason": h["reason"]})
for h in doc.get("hooks", []):
    if not h["attached"]:
        check(bool(h["reason"].strip()), "doctor-reason:" + h["hook"], h["reason"])


if SMMU:
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


    # ---------------------------------------------------------------- ITS and doorbell hooks




    def rid_of(bdf):
        _, bus, df = bdf.split(":")
        dev, fn = df.split(".")
        return int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn)


    for name, vec, tag, t0, t1 in (("edu", edu_vec, "s3", marks.get("s2"), marks.get("s3")),
                                    ("e1000e-2", e1k_vec, "s5", marks.get("s4"), marks.get("s5"))):
        if t0 is None or t1 is None:
            continue
        irqs = interrupts(tag)
        aff = affinity("edu" if name == "edu" else "e1k1")
        bdf = EDU if name == "edu" else E1K
        # the kernel's own its_create_device (ftrace): the device id it gave the ITS
        kdev = [d for d in itsdev if t0 <= d[0] <= t1]
        devs = [e for e in ev("its_device", t0, t1)]
        if check(kdev and devs and devs[-1]["device_id"] == kdev[-1][1], "its-device:" + name,
                 "irqtrail %s, kernel its_create_device dev_id %s" % ([d.get("device_id") for d in devs],
                                                                       [d[1] for d in kdev])):
            proven("its_create_device " + name, devs[-1])
        for v, irq in sorted(vec.items()):
            k = msg_at(irq, t0, t1)
            # the LPI: the ITS level's hwirq (the kernel's its_irq_domain_activate, ftrace)
            ka = [x for x in itsact if x[1] == irq and t0 <= x[0] <= t1]
            lpi = ka[-1][2] if ka else None
            if k is None or lpi is None:
                fail("its-kernel:%s[%d]" % (name, v), "no kernel message or LPI for irq %d" % irq)
                continue
            act = ev("its_activate", t0, t1, irq=irq)
            a = act[-1] if act else {}
            if check(a.get("lpi") == lpi and a.get("event_id") == k[1] and a.get("cpu") == aff.get(irq),
                     "its-activate:%s[%d]" % (name, v),
                     "irqtrail lpi %s event %s cpu %s; kernel: LPI (hwirq) %d, event id (message data) %d, "
                     "effective cpu %s" % (a.get("lpi"), a.get("event_id"), a.get("cpu"), lpi, k[1], aff.get(irq))):
                proven("its_irq_domain_activate %s[%d]" % (name, v), a)
            mt = [e for e in ev("its_mapti", t0, t1) if e.get("lpi") == lpi]
            if check(mt and mt[-1]["event_id"] == k[1] and mt[-1]["device_id"] == a.get("device_id"),
                     "its-mapti:%s[%d]" % (name, v), "MAPTI for LPI %d: %s" % (lpi, mt[-1:] and
                                                                            (mt[-1]["device_id"], mt[-1]["event_id"]))):
                proven("its_build_mapti_cmd %s[%d]" % (name, v), mt[-1])
            co = ev("its_compose", t0, t1, irq=irq)
            c = co[-1] if co else {}
            if check((c.get("address"), c.get("data")) == k and c.get("lpi") == lpi, "its-compose:%s[%d]" % (name, v),
                     "irqtrail %s/%s, kernel wrote %#x/%d" % (c.get("address"), c.get("data"), k[0], k[1])):
                proven("its_irq_compose_msi_msg %s[%d]" % (name, v), c)
            if SMMU and doorbell_pa is not None:
                check(c.get("doorbell_phys") == doorbell_pa, "its-doorbell:%s[%d]" % (name, v),
                      "ITS doorbell %s, kernel's iommu_dma_prepare_msi %#x" % (c.get("doorbell_phys"), doorbell_pa))
                # prepared at allocation, before the irq number is set: by device
                pr = ev("msi_prepare", t0, t1, bdf=bdf)
                p = pr[-1] if pr else {}
                if check(p.get("doorbell_phys") == doorbell_pa and p.get("doorbell_iova") == k[0] and p.get("domain"),
                         "msi-prepare:%s[%d]" % (name, v),
                         "irqtrail %s -> %s (%s, domain %s); kernel %#x -> device holds %#x" %
                         (p.get("doorbell_phys"), p.get("doorbell_iova"), p.get("bdf"), p.get("domain"), doorbell_pa, k[0])):
                    proven("iommu_dma_prepare_msi %s[%d]" % (name, v), p)
                dc = ev("msi_doorbell_compose", t0, t1, irq=irq)
                d = dc[-1] if dc else {}
                if check(d.get("doorbell_phys") == doorbell_pa and d.get("doorbell_iova") == k[0],
                         "msi-doorbell-compose:%s[%d]" % (name, v),
                         "irqtrail %s -> %s, kernel %#x -> %#x" % (d.get("doorbell_phys"), d.get("doorbell_iova"),
                                                                   doorbell_pa, k[0])):
                    proven("iommu_dma_compose_msi_msg %s[%d]" % (name, v), d)
    cookies = ev("msi_cookie")
    if SMMU:
        doms = set(e.get("domain") for e in ev("msi_prepare") if e.get("domain"))
        win = resv(E1K)
        ck = [c for c in cookies if c.get("domain") in doms]
        if check(ck and win and all(c["base"] == win[0] for c in ck), "msi-cookie",
                 "cookies of the VFIO domains %s, group msi window %s" %
                 ([(c["domain"], c["base"]) for c in ck], win and "%#x" % win[0])):
            proven("iommu_get_msi_cookie", ck[0])

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

# ---------------------------------------------------------------- the recording, read back on the host

IRQTRAIL = os.environ.get("IRQTRAIL", "")
if os.path.exists(path("record.rc")) and os.path.getsize(path("lab.itr")) > 0:
    import subprocess
    t0 = marks.get("r0")
    rirqs = {}
    for line in read("record.e1k.irqs.txt").splitlines():
        f = line.split()
        if len(f) == 2:
            rirqs[int(f[0])] = int(f[1])
    raff = affinity("rec")
    if not (IRQTRAIL and os.access(IRQTRAIL, os.X_OK)):
        fail("replay-routes", "no host irqtrail to read the recording (IRQTRAIL=%r)" % IRQTRAIL)
    elif t0 is None or not rirqs:
        fail("replay-routes", "no record window or e1000e vectors (r0=%s, %s)" % (t0, rirqs))
    else:
        p = subprocess.run([IRQTRAIL, "routes", "-r", path("lab.itr"), "-j"], capture_output=True, text=True)
        try:
            rows = json.loads(p.stdout)
        except ValueError:
            rows = None
        if check(p.returncode == 0 and isinstance(rows, list), "replay-routes",
                 "host irqtrail routes -r lab.itr: rc %d %s" % (p.returncode, p.stderr.strip()[:200])):
            window = resv(E1K)
            for v, irq in sorted(rirqs.items()):
                r = [x for x in rows if x.get("irq") == irq and x.get("bdf") == E1K]
                r = r[0] if r else {}
                k = msg_at(irq, t0, 1e12)
                ka = [x for x in itsact if x[1] == irq and x[0] >= t0]
                its, db = r.get("its") or {}, r.get("doorbell") or {}
                # the ITS device the kernel created last before activating this irq
                kd = [d for d in itsdev if d[0] >= t0 and ka and d[0] <= ka[-1][0]]
                want = (kd[-1][1] if kd else None, k and k[1], ka[-1][2] if ka else None, raff.get(irq))
                got = (its.get("device_id"), its.get("event_id"), its.get("lpi"), its.get("cpu"))
                if check(k is not None and ka and got == want, "route-its:e1000e[%d]" % v,
                         "routes (device id, event id, LPI, cpu) %s; kernel: its_create_device, message data, "
                         "activate hwirq, effective cpu %s" % (got, want)):
                    proven("routes -r its e1000e[%d]" % v, r)
                if SMMU:
                    check(k is not None and db.get("translated") is True and db.get("iova") == k[0] and
                          db.get("phys") == doorbell_pa and window and window[0] <= k[0] <= window[1],
                          "route-doorbell:e1000e[%d]" % v,
                          "routes doorbell %s; device holds %s, ITS doorbell %s, msi window %s" %
                          (db, k and hex(k[0]), doorbell_pa and hex(doorbell_pa), window and [hex(w) for w in window]))
                else:
                    check(k is not None and db.get("translated") is False and db.get("iova") is None and
                          db.get("phys") == k[0], "route-doorbell-phys:e1000e[%d]" % v,
                          "routes doorbell %s; device holds %s (no SMMU)" % (db, k and hex(k[0])))
            # the doorbell rules over the same recording
            p = subprocess.run([IRQTRAIL, "check", "-r", path("lab.itr"), "-j"], capture_output=True, text=True)
            try:
                cj = json.loads(p.stdout)
            except ValueError:
                cj = {}
            st = {x["rule"]: x for x in cj.get("rules", [])}
            f31 = [f for f in cj.get("findings", []) if f.get("rule") == "IRT031"]
            f30 = [f for f in cj.get("findings", []) if f.get("rule") == "IRT030"]
            check(st.get("IRT030", {}).get("status") == "passing" and not f30, "rule-IRT030",
                  "%s, findings %s (every route has ITS device-id isolation)" % (st.get("IRT030", {}).get("status"), f30))
            if SMMU:
                check(st.get("IRT031", {}).get("status") == "passing" and not f31, "rule-IRT031-quiet",
                      "%s, findings %s: every device holds a translated doorbell" % (st.get("IRT031", {}).get("status"), f31))
            else:
                fired = set(f.get("irq") for f in f31)
                if check(set(rirqs.values()) <= fired, "rule-IRT031-fires",
                         "IRT031 findings for irqs %s, e1000e irqs %s" % (sorted(x for x in fired if x is not None),
                                                                           sorted(rirqs.values()))):
                    proven("IRT031 physical doorbell", f31[0])
            p = subprocess.run([IRQTRAIL, "explain", "-r", path("lab.itr"), E1K], capture_output=True, text=True)
            lines = [l for l in p.stdout.splitlines() if "GICv3 ITS" in l or "MSI doorbell" in l]
            check(p.returncode == 0 and len(lines) >= 2 * len(rirqs), "replay-explain",
                  "%d ITS/doorbell lines: %s" % (len(lines), lines[:2]))

print("%d checks failed" % L.failures)
sys.exit(1 if L.failures else 0)

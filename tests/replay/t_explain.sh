#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `explain BDF` (issue 3) on the virtio_rng device while /dev/hwrng is read.
# Checked against the kernel's own account: the PCI ids and driver from
# sysfs; one block per MSI-X irq of the device in /proc/interrupts, with its
# entry and handler name; the CPU from its effective affinity; a vector or
# the reason it is unknown; handler counts within what /proc/interrupts
# counted over the window, with p50/p99/max (p50 <= p99 <= max) for an irq
# that fired; the interrupts counted before irqtrail started; the number of
# findings.
set -u
. "$(dirname "$0")/common.sh"
need_root
need_irqtrail
find_virtio_rng

dev=/sys/bus/pci/devices/$RNG_BDF
vendor=$(sed 's/^0x//' "$dev/vendor")
device=$(sed 's/^0x//' "$dev/device")
driver=$(basename "$(readlink "$dev/driver")")
# irq entry name, from /proc/interrupts (chip PCI-MSIX-BDF, hwirq "N-edge")
awk -v chip="PCI-MSIX-$RNG_BDF" '$0 ~ chip { irq = $1; sub(":", "", irq)
	for (i = 2; i <= NF; i++) if ($i == chip) { e = $(i + 1); sub("-.*", "", e) }
	print irq, e, $NF }' /proc/interrupts > "$W/irqs"
[ -s "$W/irqs" ] || skip "$RNG_BDF has no MSI-X irqs in /proc/interrupts"
snap() {	# irq total cpu-list, per irq of the device
	local irq e name
	while read -r irq e name; do
		echo "$irq $(irq_total "$irq") $(cat "/proc/irq/$irq/effective_affinity_list")"
	done < "$W/irqs"
}

snap > "$W/before"
start_bg explain explain "$RNG_BDF" -D 2
EP=$BG_PID
wait_attached "$EP" explain
snap > "$W/attached"
rng_traffic 20
snap > "$W/traffic"
kill -0 "$EP" 2>/dev/null || fail "explain -D 2 ended before the traffic did"
wait_bg "$EP" explain 25
snap > "$W/after"
[ "$BG_RC" = 0 ] || bad "explain exited $BG_RC: $(tail -c 300 "$W/explain.err")"
cat "$W/explain.out"

python3 - "$W" "$RNG_BDF" "$vendor" "$device" "$driver" "$RNG_QIRQ" <<'EOF' || bad "explain output (above)"
import re, sys
w, bdf, vendor, device, driver, qirq = sys.argv[1:7]
qirq = int(qirq)
out = open(w + "/explain.out").read()
lines = out.splitlines()
err = []

def table(name):
    t = {}
    for l in open(w + "/" + name):
        irq, total, cpus = l.split()
        t[int(irq)] = (int(total), cpus)
    return t
before, attached, traffic, after = (table(n) for n in ("before", "attached", "traffic", "after"))
irqs = [(int(a), int(b), c) for a, b, c in (l.split() for l in open(w + "/irqs"))]

def ns(s):
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s)", s)
    if not m:
        return None
    return float(m.group(1)) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]

def first_cpu(lst):
    return int(re.split("[,-]", lst)[0])

want = "Device %s [%s:%s], driver %s" % (bdf, vendor, device, driver)
if not lines or lines[0] != want:
    err.append("first line %r, want %r" % (lines[0] if lines else "", want))
m = re.search(r"^Observed for ([0-9.]+) s live\.$", out, re.M)
if not m or abs(float(m.group(1)) - 2.0) > 0.5:
    err.append("no 'Observed for 2.0 s live.' line")

blocks = {}
cur = None
for l in lines:
    m = re.match(r'^(MSI-X|MSI|\S+) entry (\S+) -> host irq (\d+) "(.*)"$', l)
    if m:
        cur = int(m.group(3))
        blocks[cur] = {"kind": m.group(1), "entry": m.group(2), "name": m.group(4), "lines": []}
    elif cur is not None:
        if not l.strip():
            cur = None
        else:
            blocks[cur]["lines"].append(l.strip())
if sorted(blocks) != sorted(i for i, _, _ in irqs):
    err.append("explain names irqs %s, /proc/interrupts lists %s for %s" % (sorted(blocks), sorted(i for i, _, _ in irqs), bdf))
findings = 0
for irq, entry, name in irqs:
    b = blocks.get(irq)
    if not b:
        continue
    body = b["lines"]
    if (b["kind"], b["entry"], b["name"]) != ("MSI-X", str(entry), name):
        err.append("irq %d: header %s entry %s %r, want MSI-X entry %d %r" % (irq, b["kind"], b["entry"], b["name"], entry, name))
    # CPU and vector
    d = [l for l in body if l.startswith("delivered to CPU") or l.startswith("CPU unknown")]
    if len(d) != 1:
        err.append("irq %d: no 'delivered to CPU' line: %s" % (irq, body))
    else:
        m = re.match(r"delivered to CPU (\d+) \((effective affinity at start|last vector event)\)", d[0])
        if not m:
            err.append("irq %d: CPU unknown: %r" % (irq, d[0]))
        else:
            cpu, src = int(m.group(1)), m.group(2)
            ok = first_cpu(before[irq][1]) if src.startswith("effective") else first_cpu(after[irq][1])
            if cpu != ok:
                err.append("irq %d: CPU %d (%s), the kernel's effective affinity says %d" % (irq, cpu, src, ok))
        if not (re.search(r", vector 0x[0-9a-f]+", d[0]) or re.search(r", vector unknown .*\(.+\)", d[0])):
            err.append("irq %d: neither a vector nor why it is unknown: %r" % (irq, d[0]))
    # handler count and latency
    h = [l for l in body if l.startswith("host handler:")]
    if len(h) != 1:
        err.append("irq %d: no 'host handler:' line" % irq)
        continue
    m = re.match(r"host handler: (\d+) in ([0-9.]+) s \(([0-9.]+)/s\)(?:, handler p50 (\S+) p99 (\S+) max (\S+))?$", h[0])
    if not m:
        err.append("irq %d: cannot read %r" % (irq, h[0]))
        continue
    n = int(m.group(1))
    lo = traffic[irq][0] - attached[irq][0]
    hi = after[irq][0] - before[irq][0]
    if not lo <= n <= hi:
        err.append("irq %d: %d handler runs, /proc/interrupts counted %d during the traffic and %d from start to end" % (irq, n, lo, hi))
    if irq == qirq and n == 0:
        err.append("irq %d (the queue irq reading /dev/hwrng fires): no handler run counted" % irq)
    if n:
        if not m.group(4):
            err.append("irq %d fired %d times but has no p50/p99/max: %r" % (irq, n, h[0]))
        else:
            p50, p99, mx = ns(m.group(4)), ns(m.group(5)), ns(m.group(6))
            if None in (p50, p99, mx) or not (0 < p50 <= p99 <= mx):
                err.append("irq %d: percentiles out of order, want 0 < p50 <= p99 <= max: %r" % (irq, h[0]))
    else:
        if "finding: no interrupt observed in the window" not in body:
            err.append("irq %d: no interrupt and no finding saying so" % irq)
    findings += sum(1 for l in body if l.startswith("finding:"))
    # before irqtrail started
    s = [int(x.split()[0]) for x in body if x.endswith("interrupts before irqtrail started")]
    if before[irq][0] and not s:
        err.append("irq %d: no 'interrupts before irqtrail started' line (/proc/interrupts had %d)" % (irq, before[irq][0]))
    if s and not before[irq][0] <= s[0] <= attached[irq][0]:
        err.append("irq %d: %d interrupts before start, /proc/interrupts had %d..%d" % (irq, s[0], before[irq][0], attached[irq][0]))
    if ("owner: host driver %s" % driver) not in body:
        err.append("irq %d: no 'owner: host driver %s' line" % (irq, driver))
m = re.search(r"^Findings: (\d+)$", out, re.M)
if not m or int(m.group(1)) != findings:
    err.append("'Findings: N' line %r, the irq blocks hold %d findings" % (m.group(0) if m else None, findings))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
print("ok: %s: irqs %s explained" % (bdf, sorted(blocks)))
EOF
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `export --perfetto` of the bundled example recordings (examples/README.md),
# checked against the same file's `export --jsonl`, its `dump` and what the
# test VMM said it did when the examples were made (*.itr.vmm.json):
#  - valid JSON: an object whose traceEvents is a list of trace events with
#    ph, name, pid, tid and a non-negative ts;
#  - one "X" slice per handler run (irq_exit), with its irq and duration;
#  - one "i" instant per injection (kvm_msi), per message as many as the VMM
#    fired, on the VMM's pid;
#  - in the default-mode example, one "C" counter per aggregate frame after
#    the first, whose injection rates integrate to what the VMM fired;
#  - flow arrows ("s"/"f") paired by id.
# Needs no root.
set -u
. "$(dirname "$0")/common.sh"
need_irqtrail

for ex in vmm-msi vmm-msi-full; do
	f=$EXAMPLES/$ex.itr
	[ -f "$f" ] && [ -f "$f.vmm.json" ] || fail "no $f or $f.vmm.json"
	[ -r "$f" ] || skip "examples/$ex.itr is not readable by uid $(id -u) (mode $(stat -c %a "$f"))"
	it_run "pf_$ex" 60 export "$f" --perfetto "$W/$ex.json"
	[ "$RC" = 0 ] || fail "export --perfetto $ex.itr exited $RC: $(head -c 300 "$W/pf_$ex.err")"
	it_run "jl_$ex" 60 export "$f" --jsonl "$W/$ex.jsonl"
	[ "$RC" = 0 ] || fail "export --jsonl $ex.itr exited $RC: $(head -c 300 "$W/jl_$ex.err")"
	it_run "dump_$ex" 20 dump "$f"
	[ "$RC" = 0 ] || bad "dump $ex.itr exited $RC"
	it_run "pfo_$ex" 60 export "$f" --perfetto -
	[ "$RC" = 0 ] || bad "export --perfetto - ($ex) exited $RC"
	cmp -s "$W/pfo_$ex.out" "$W/$ex.json" || bad "export --perfetto - ($ex) differs from the file export"
done

PYTHONPATH=$REPLAY_DIR python3 - "$W" "$EXAMPLES" <<'EOF' || bad "perfetto traces (above)"
import json, re, sys
from collections import Counter
import vmmcheck as vc

w, exdir = sys.argv[1:3]
err = []
for ex in ("vmm-msi", "vmm-msi-full"):
    vmm = vc.load("%s/%s.itr.vmm.json" % (exdir, ex))
    pid = vmm["pid"]
    try:
        doc = json.load(open("%s/%s.json" % (w, ex)))
    except ValueError as e:
        err.append("%s: --perfetto output is not JSON: %s" % (ex, e))
        continue
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        err.append("%s: no traceEvents list" % ex)
        continue
    te = doc["traceEvents"]
    jl = vc.jsonl("%s/%s.jsonl" % (w, ex))
    dump = open("%s/dump_%s.out" % (w, ex)).read()
    exported = re.search(r"(\d+) events exported", open("%s/pf_%s.err" % (w, ex)).read())
    total = re.search(r"^totals: .* blocks, (\d+) records", dump, re.M)
    if not exported or not total or exported.group(1) != total.group(1):
        err.append("%s: export says %s events, dump counts %s records" % (ex, exported and exported.group(1), total and total.group(1)))
    bad = [e for e in te if not (isinstance(e, dict) and e.get("ph") in ("X", "i", "C", "M", "s", "f")
                                 and isinstance(e.get("name"), str) and type(e.get("pid")) is int
                                 and type(e.get("tid")) is int and isinstance(e.get("ts"), (int, float))
                                 and e["ts"] >= 0)]
    if bad:
        err.append("%s: %d malformed trace events, e.g. %s" % (ex, len(bad), bad[0]))
    ph = Counter(e.get("ph") for e in te)
    # handler runs
    exits = [e for e in jl if e["type"] == "irq_exit"]
    xs = [e for e in te if e.get("ph") == "X"]
    if len(xs) != len(exits):
        err.append("%s: %d X slices, the recording has %d handler runs (irq_exit)" % (ex, len(xs), len(exits)))
    want = Counter((e["irq"], round(e["duration_ns"] / 1000.0, 3)) for e in exits)
    got = Counter(((e.get("args") or {}).get("irq"), round(e.get("dur", -1), 3)) for e in xs)
    if want != got:
        err.append("%s: X slices (irq, dur us) %s differ from the handler runs %s"
                   % (ex, sorted((got - want).items())[:4], sorted((want - got).items())[:4]))
    if any(e.get("dur", -1) < 0 for e in xs):
        err.append("%s: X slice with a negative duration" % ex)
    # injections
    msi = [e for e in jl if e["type"] == "kvm_msi"]
    inj = [e for e in te if e.get("ph") == "i" and e.get("cat") == "kvm"]
    if len(inj) != len(msi):
        err.append("%s: %d injection instants, the recording has %d kvm_msi events" % (ex, len(inj), len(msi)))
    if msi:
        by = Counter(((e.get("args") or {}).get("address"), (e.get("args") or {}).get("data")) for e in inj if e.get("pid") == pid)
        fired = Counter()
        for f in vmm["fired"]:
            fired[(f["address"], f["data"])] += f["count"]
        if by != fired:
            err.append("%s: injection instants on pid %d per message %s, the VMM fired %s"
                       % (ex, pid, {vc.msg(*k): v for k, v in by.items()}, {vc.msg(*k): v for k, v in fired.items()}))
    # counters from aggregate frames
    aggr = [float(m.group(1)) for m in re.finditer(r"AGGR\s+\d+\s+aggregate frame, ts ([0-9.]+)", dump)]
    cs = [e for e in te if e.get("ph") == "C"]
    if aggr and len(cs) != len(aggr) - 1:
        err.append("%s: %d C counter events, %d aggregate frames (want one per frame after the first)" % (ex, len(cs), len(aggr)))
    if ex == "vmm-msi":
        if not cs:
            err.append("%s: no C counter events in the default-mode example" % ex)
        elif len(cs) == len(aggr) - 1:
            s = sum(c["args"]["injections/s"] * (aggr[i + 1] - aggr[i]) for i, c in enumerate(cs))
            if abs(s - vmm["fired_total"]) > max(2, 0.002 * vmm["fired_total"]):
                err.append("%s: the injections/s counters integrate to %.1f, the VMM fired %d" % (ex, s, vmm["fired_total"]))
            if [c["ts"] for c in cs] != sorted(c["ts"] for c in cs):
                err.append("%s: counter events out of time order" % ex)
    # flows
    so = Counter(e.get("id") for e in te if e.get("ph") == "s")
    fi = Counter(e.get("id") for e in te if e.get("ph") == "f")
    if so != fi or any(v != 1 for v in so.values()):
        err.append("%s: flow starts %d and ends %d do not pair up by id" % (ex, sum(so.values()), sum(fi.values())))
    print("%s: %s" % (ex, dict(ph)))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
EOF
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Damage (issue 4, docs/trace-format.md §8).  A real --full recording (as
# root: the test VMM firing for 2.5 seconds, which gives two event blocks
# and several aggregate frames; otherwise the bundled
# examples/vmm-msi-full.itr) is
#  - cut at every section boundary `dump` lists and inside the header,
#  - cut at 50 random offsets,
#  - given 50 random byte flips (and one in the index and one in the footer),
#  - given a zeroed 32-byte header,
#  - given 4 KiB of appended garbage.
# For each copy `replay --summary -j`, `dump` (and, where the count is not
# printed, `export --jsonl`) must end within 20 s, by exit and not by a
# signal, without a sanitizer report, with the documented exit status
# (replay: 0 intact or cut tail, 1 damaged or unreadable; dump: 0 clean,
# 1 damage or truncation found, 2 not a readable trace; a file cut exactly
# between two sections has no damage and no tail, only no index: dump says
# "index: absent" and may exit 0), and replay exactly
# the records of the complete, intact blocks before the cut or the damage.
# DAMAGE_SEED=N DAMAGE_SRC=FILE repeat a run (the seed is printed; a failed
# run keeps its recording as orig.itr).
set -u
. "$(dirname "$0")/common.sh"
need_irqtrail

SRC=$W/orig.itr
if [ -n "${DAMAGE_SRC:-}" ]; then
	cp "$DAMAGE_SRC" "$SRC" || fail "cannot read DAMAGE_SRC=$DAMAGE_SRC"
	echo "damaging $DAMAGE_SRC"
elif is_root && [ -c /dev/kvm ] && [ -x "$ITVMM" ]; then
	"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 \
		--route 24:0xfee00000:0x4031 --route 25:0xfee01000:0x4032 --irqfd 24 --irqfd 25 \
		--fire-irqfd 24:0 --fire-irqfd 25:0 --signal 0xfee01000:0x4051:0 \
		--duration-ms 2500 --rate 1500 > "$W/vmm.json" 2> "$W/vmm.err" &
	VMM=$!
	CLEANUP_PIDS+=("$VMM")
	start_record rec "$SRC" --full --pid "$VMM" -D 4
	RP=$BG_PID
	touch "$W/go"
	wait "$VMM" || fail "itvmm exited $?: $(head -c 400 "$W/vmm.err")"
	wait_bg "$RP" rec 30
	[ "$BG_RC" = 0 ] || fail "record exited $BG_RC: $(tail -n 3 "$W/rec.err")"
	echo "recording: $(grep 'events written' "$W/rec.err")"
else
	[ -r "$EXAMPLES/vmm-msi-full.itr" ] ||
		skip "not root, and examples/vmm-msi-full.itr is not readable by uid $(id -u)"
	cp "$EXAMPLES/vmm-msi-full.itr" "$SRC" || fail "no examples/vmm-msi-full.itr"
	echo "not root or no /dev/kvm: damaging the bundled examples/vmm-msi-full.itr"
fi

PY=$(command -v python3) || fail "python3 is needed"
"$PY" - "$W" "$IRQTRAIL" "$SRC" <<'EOF' || bad "damage cases (above)"
import os, random, re, subprocess, sys, time

w, irqtrail, src = sys.argv[1:4]
seed = int(os.environ.get("DAMAGE_SEED") or time.time_ns() % 1000000007)
rnd = random.Random(seed)
print("seed %d (DAMAGE_SEED=%d repeats this run)" % (seed, seed))
orig = open(src, "rb").read()
size = len(orig)
SAN = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")
failures = []

def run(args, what):
    try:
        p = subprocess.run([irqtrail] + args, capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        failures.append("%s: irqtrail %s did not finish within 20 s" % (what, " ".join(args[:2])))
        return None
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0:
        failures.append("%s: irqtrail %s killed by signal %d: %s" % (what, args[0], -p.returncode, err[-300:]))
        return None
    if p.returncode in (86, 87) or SAN.search(err):
        failures.append("%s: irqtrail %s: sanitizer report: %s" % (what, args[0], SAN.search(err) and err[SAN.search(err).start():][:400]))
        return None
    return p.returncode, p.stdout.decode(errors="replace"), err

# --- structure of the intact file, from dump ------------------------------
r = run(["dump", src], "original")
if not r or r[0] != 0:
    sys.exit("dump of the intact recording: %s" % (r and (r[0], r[1][-600:])))
secs = []
for l in r[1].splitlines():
    m = re.match(r"^\s+(\d+)\s+(\d+) (\S+)\s+(\d+)  (.*)$", l)
    if m:
        rec = re.match(r"records (\d+),", m.group(5))
        secs.append({"seq": int(m.group(1)), "off": int(m.group(2)), "type": m.group(3),
                     "len": int(m.group(4)), "nrec": int(rec.group(1)) if rec else 0})
total = int(re.search(r"^totals: .* blocks, (\d+) records", r[1], re.M).group(1))
if not re.search(r"^index: present", r[1], re.M):
    sys.exit("the intact recording has no index: %s" % r[1][-400:])
for a, b in zip(secs, secs[1:]):
    if a["off"] + 32 + a["len"] != b["off"]:
        sys.exit("dump: section %d does not end where %d begins" % (a["seq"], b["seq"]))
if not secs or secs[0]["off"] != 32:
    sys.exit("dump lists no sections from offset 32")
INDX = secs[-1]["off"] + 32 + secs[-1]["len"]
END = size - 48
if sum(s["nrec"] for s in secs) != total or INDX >= END:
    sys.exit("dump: block records %d, total %d; index at %d, footer at %d"
             % (sum(s["nrec"] for s in secs), total, INDX, END))
blocks = [s for s in secs if s["type"] == "EVTB"]
print("intact: %d bytes, %d sections, %d blocks, %d records, index at %d" % (size, len(secs), len(blocks), total, INDX))
if len(blocks) < 2:
    print("note: only %d event block(s)" % len(blocks))
bounds = sorted({0, 1, 11, 12, 31, 32, INDX, END, size} | {s["off"] for s in secs})

# Records a reader passes on: all of them, unless this irqtrail skips some
# (types it does not know, records shorter than their type: an older
# recording after an event ABI change); dump counts those too.
sk = re.search(r"^skipped: (\d+) records of unknown types, (\d+) short records", r[1], re.M)
nskip = int(sk.group(1)) + int(sk.group(2)) if sk else 0
passed = {s["seq"]: s["nrec"] for s in secs}
if nskip:
    print("note: this irqtrail skips %d of the recording's records (%s); replay and export are "
          "held to the records they pass on, block by block" % (nskip, sk.group(0)))
    prev = 0
    for s in secs:
        if s["type"] != "EVTB":
            passed[s["seq"]] = 0
            continue
        end = s["off"] + 32 + s["len"]
        with open(w + "/prefix.itr", "wb") as f:
            f.write(orig[:end])
        r2 = run(["export", w + "/prefix.itr", "--jsonl", "/dev/null"], "prefix")
        m = r2 and re.search(r"(\d+) events exported", r2[2])
        if not m:
            sys.exit("cannot count the records passed on up to offset %d" % end)
        passed[s["seq"]] = int(m.group(1)) - prev
        prev = int(m.group(1))

def before(off):
    """(records, records passed on) of the blocks wholly before offset off"""
    done = [s for s in secs if s["off"] + 32 + s["len"] <= off]
    return (sum(s["nrec"] for s in done), sum(passed[s["seq"]] for s in done))

ALL = before(size)

def exported(path, what):
    r = run(["export", path, "--jsonl", "/dev/null"], what + " export")
    if not r:
        return None
    m = re.search(r"(\d+) events exported", r[2])
    return int(m.group(1)) if m else None

pending = []

def case(data, what, replay_rc, dump_rc, records, export_check=False, extra=None):
    """Queue a case. records: (records dump must count, records replay must pass on),
    None when the file must be refused"""
    pending.append((data, what, replay_rc, dump_rc, records, export_check, extra))

def run_case(i, data, what, replay_rc, dump_rc, records, export_check, extra):
    path = "%s/case-%d.itr" % (w, i)
    with open(path, "wb") as f:
        f.write(data)
    r = run(["replay", "--summary", "-j", path], what)
    if r:
        rc, out, err = r
        if rc != replay_rc:
            failures.append("%s: replay exited %d, want %d: %s" % (what, rc, replay_rc, err.strip()[:300]))
        lines = [l for l in err.splitlines() if l.strip()]
        if rc == 1 and len(lines) != 1:
            failures.append("%s: replay wrote %d stderr lines, want one: %s" % (what, len(lines), err[:300]))
        m = re.search(r"replayed (?:the )?(\d+) records", err)
        if m and records is not None and int(m.group(1)) != records[1]:
            failures.append("%s: replay says it replayed %s records, the intact blocks before hold %d: %s"
                            % (what, m.group(1), records[1], err.strip()[:300]))
        if records is None and rc == 1 and not re.search(r"trace|header|magic", err):
            failures.append("%s: refusal does not say why: %s" % (what, err.strip()[:200]))
        if records is not None and not m:
            export_check = True
    r = run(["dump", path], what)
    if r:
        rc, out, err = r
        if rc not in (dump_rc if isinstance(dump_rc, tuple) else (dump_rc,)):
            failures.append("%s: dump exited %d, want %d: %s" % (what, rc, dump_rc,
                            " | ".join(l for l in out.splitlines() if re.match(r"^(index|tail|problem|totals)", l))[:400]
                            or err.strip()[:300]))
        if records is not None:
            m = re.search(r"^totals: .* blocks, (\d+) records", out, re.M)
            if not m or int(m.group(1)) != records[0]:
                failures.append("%s: dump counts %s records, want %d" % (what, m and m.group(1), records[0]))
    if export_check and records is not None:
        n = exported(path, what)
        if n != records[1]:
            failures.append("%s: export passes on %s records, want %d" % (what, n, records[1]))
    if extra:
        extra(path, what)
    os.unlink(path)

def cut(c, what):
    if c < 32:
        case(orig[:c], what, 1, 2, None)
    elif c == size:
        case(orig, what, 0, 0, ALL, True)
    else:
        exact = c in bounds
        # cut between two sections: no tail, only the index is missing, which
        # dump reports ("index: absent") but does not count as damage
        case(orig[:c], what, 0, (0, 1) if exact else 1, before(c), exact,
             index_absent if exact else None)

def index_absent(path, what):
    r = run(["dump", path], what)
    if r and not re.search(r"^index: absent", r[1], re.M):
        failures.append("%s: dump does not say the index is absent: %s"
                        % (what, [l for l in r[1].splitlines() if l.startswith("index")]))

ncase = 0
for c in bounds:
    cut(c, "cut at %d (boundary)" % c)
    ncase += 1
for c in sorted(rnd.sample(range(32, size), min(50, size - 32))):
    cut(c, "cut at %d" % c)
    ncase += 1

def section_of(off):
    for s in secs:
        if s["off"] <= off < s["off"] + 32 + s["len"]:
            return s
    return None

def flip(off, x, what):
    data = bytearray(orig)
    data[off] ^= x
    data = bytes(data)
    if off < 32:
        case(data, what, 1, 2, None)
    elif off < INDX:
        s = section_of(off)
        # an intact index still leads to the damaged section: replay stops there
        case(data, what + " (in %s #%d)" % (s["type"], s["seq"]), 1, 1, before(s["off"]))
    else:
        # only the index or the footer: every record still replays
        case(data, what + (" (index)" if off < END else " (footer)"), 0, 1, ALL, True)

flips = sorted(rnd.sample(range(size), min(50, size)))
for off in flips:
    flip(off, rnd.randrange(1, 256), "flip at %d" % off)
    ncase += 1
flip(INDX + 32 + 4, 0x01, "flip at %d" % (INDX + 36))
flip(END + 32 + 1, 0x01, "flip at %d" % (END + 33))
ncase += 2

def says_zeroed(path, what):
    r = run(["replay", "--summary", path], what)
    if r and "zeroed" not in r[2]:
        failures.append("%s: the message does not say the header is zeroed: %s" % (what, r[2].strip()[:200]))

def tail_reported(path, what):
    r = run(["dump", path], what)
    if r and ("tail: 4096 bytes at offset %d" % size) not in r[1]:
        failures.append("%s: dump does not report 'tail: 4096 bytes at offset %d'" % (what, size))

case(bytes(32) + orig[32:], "zeroed header", 1, 2, None, extra=says_zeroed)
garbage = bytes(rnd.randrange(256) for _ in range(4096))
case(orig + garbage, "4096 bytes of garbage appended", 0, 1, ALL, True, extra=tail_reported)
ncase += 2

from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(max_workers=max(2, min(8, 2 * (os.cpu_count() or 1)))) as ex:
    for f in [ex.submit(run_case, i, *c) for i, c in enumerate(pending)]:
        f.result()

# group the failures by kind, so one bug does not bury the others
if failures:
    kinds = {}
    for f in failures:
        k = re.sub(r"\d+", "N", f.split(": ", 1)[1])[:90]
        kinds.setdefault(k, []).append(f)
    print("%d of %d damage cases failed (seed %d):" % (len(failures), ncase, seed), file=sys.stderr)
    for k, fs in kinds.items():
        print("  %d x %s" % (len(fs), fs[0]), file=sys.stderr)
        for f in fs[1:3]:
            print("       e.g. %s" % f, file=sys.stderr)
    sys.exit(1)
print("ok: %d damage cases (seed %d)" % (ncase, seed))
EOF
finish

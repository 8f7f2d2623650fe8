#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""irqtrail's performance benchmark (issue 8).  Run it through `make bench`.

Design, in one paragraph: every configuration (a tracer, or nothing) is
measured by the slow-down it causes to an event generator that runs flat out.
For each generator the runs alternate bare, C1, bare, C2, ..., bare (the order
of the Ci rotates every round), so every configuration run sits between two
bare runs taken seconds apart; its added cost is its ns per event minus the
mean of those two neighbours.  Over >= 5 rounds the benchmark reports the
median of those differences and their spread (min..max), and compares each
with the floor (an empty BPF program on the same tracepoints) measured the
same way in the same run.  Absolute numbers move with the machine and its
load; the differences and ratios measured side by side are what to compare.

Other phases: per-program run time from the kernel's BPF statistics, the
micro-cost of each helper and map operation irqtrail's programs use, replay
throughput, dashboard refresh cost, and resident memory after many events.

Everything is written as JSON to bench/results/, and a table and one PASS/FAIL
line per target of the issue are printed.
"""
import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
IRQTRAIL = os.environ.get("IRQTRAIL", os.path.join(ROOT, "irqtrail"))
ITVMM = os.environ.get("ITVMM", os.path.join(ROOT, ".output/tests/itvmm"))
BOUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, ".output/bench"))
ATTACH = os.path.join(BOUT, "bench-attach")
CHURN = os.path.join(BOUT, "bench-churn")
EMPTY_OBJ = os.path.join(BOUT, "empty.bpf.o")
OPS_OBJ = os.path.join(BOUT, "ops.bpf.o")
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# The generators.  `unit` says what one event (one operation of the
# generator, the denominator of every per-event figure) is.
MSI_ADDR, MSI_DATA = "0xfee00000", "0x4031"
GENERATORS = {
    "msi": {
        "title": "KVM_SIGNAL_MSI storm (itvmm)",
        "unit": "KVM_SIGNAL_MSI ioctl = 1 kvm_msi_set_irq (+1 kvm_apic_accept_irq, +sys_enter/exit_ioctl)",
        "tps_per_op": 4,
        "tp_names": ("kvm_msi_set_irq", "kvm_apic_accept_irq", "sys_enter_ioctl", "sys_exit_ioctl"),
    },
    "irqfd": {
        "title": "irqfd eventfd storm (itvmm)",
        "unit": "eventfd write = 1 kvm_msi_set_irq (+1 kvm_apic_accept_irq)",
        "tps_per_op": 2,
        "tp_names": ("kvm_msi_set_irq", "kvm_apic_accept_irq"),
    },
    "churn": {
        "title": "virtio-rng interrupt + affinity churn (bench-churn)",
        "unit": "virtio-rng interrupt = irq_handler_entry/exit (+vector/matrix events per move)",
        "tps_per_op": 2,
        "tp_names": ("irq_handler_entry", "irq_handler_exit", "vector_", "matrix_"),
    },
}

STOP = False


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def die(msg):
    log(msg)
    sys.exit(1)


# --------------------------------------------------------------------------
# processes: CPU time, memory, BPF programs of a process tree

def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def proc_stat(pid):
    s = read("/proc/%d/stat" % pid)
    if not s:
        return None
    rest = s[s.rfind(")") + 2:].split()
    # fields after comm: state(0) ppid(1) ... utime(11) stime(12)
    return {"ppid": int(rest[1]), "utime": int(rest[11]), "stime": int(rest[12])}


def tree(pid):
    """pid and all its descendants (alive)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st:
            kids.setdefault(st["ppid"], []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_cpu(pid):
    u = s = 0
    for p in tree(pid):
        st = proc_stat(p)
        if st:
            u += st["utime"]
            s += st["stime"]
    return u / CLK, s / CLK


def rss_kb(pid):
    m = re.search(r"VmRSS:\s+(\d+)", read("/proc/%d/status" % pid))
    return int(m.group(1)) if m else 0


def prog_fds(pid):
    """{prog_id: (run_time_ns, run_cnt)} of the BPF programs the tree holds."""
    out = {}
    for p in tree(pid):
        try:
            fds = os.listdir("/proc/%d/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (p, fd)) != "anon_inode:bpf-prog":
                    continue
            except OSError:
                continue
            info = read("/proc/%d/fdinfo/%s" % (p, fd))
            m = re.search(r"prog_id:\s+(\d+)", info)
            if not m:
                continue
            rt = re.search(r"run_time_ns:\s+(\d+)", info)
            rc = re.search(r"run_cnt:\s+(\d+)", info)
            out[int(m.group(1))] = (int(rt.group(1)) if rt else 0, int(rc.group(1)) if rc else 0)
    return out


def prog_names(ids):
    names = {}
    try:
        js = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                                       text=True, timeout=30).stdout or "[]")
        for p in js:
            if p.get("id") in ids:
                names[p["id"]] = p.get("name", "?")
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return names


class BpfStats:
    """Hold kernel.bpf_stats_enabled on through BPF_ENABLE_STATS: the kernel
    switches it off when the fd is closed, even if this script dies."""

    def __init__(self):
        self.fd = -1

    def __enter__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        attr = (ctypes.c_uint8 * 8)()  # union bpf_attr.enable_stats: u32 type = BPF_STATS_RUN_TIME (0)
        fd = libc.syscall(321, 32, ctypes.byref(attr), 8)  # __NR_bpf, BPF_ENABLE_STATS
        if fd < 0:
            raise OSError(ctypes.get_errno(), "BPF_ENABLE_STATS")
        self.fd = fd
        return self

    def __exit__(self, *a):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def stats_on():
    return read("/proc/sys/kernel/bpf_stats_enabled").strip() == "1"


def foreign_tracers(mine):
    """BPF programs attached to tracepoints by processes that are not ours
    (other people's irqtrail runs on a shared machine), and ftrace events
    enabled in tracefs.  Both slow the bare runs and, for perf, swallow its
    samples (a BPF program on a tracepoint that returns 0 drops the perf
    samples of that tracepoint)."""
    n = 0
    try:
        r = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True, text=True, timeout=20)
        for e in json.loads(r.stdout or "[]"):
            if e.get("pid") not in mine:
                n += 1
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    ev = [l for l in read("/sys/kernel/tracing/set_event").split("\n") if l.strip()]
    return n, len(ev)


# --------------------------------------------------------------------------
# generators

def gen_argv(gen, dur_ms=None, count=None, rate=None, routes=1):
    if gen in ("msi", "irqfd"):
        a = [ITVMM]
        if gen == "msi":
            for i in range(routes):
                a += ["--signal", "%s:0x%x:%d" % (MSI_ADDR, 0x4031 + i, count or 0)]
        else:
            for i in range(routes):
                a += ["--route", "%d:%s:0x%x" % (24 + i, MSI_ADDR, 0x4031 + i), "--irqfd", str(24 + i),
                      "--fire-irqfd", "%d:%d" % (24 + i, count or 0)]
        if dur_ms:
            a += ["--duration-ms", str(int(dur_ms))]
        if rate:
            a += ["--rate", str(int(rate))]
        return a
    a = [CHURN]
    if dur_ms:
        a += ["--duration-ms", str(int(dur_ms))]
    if count:
        a += ["--count", str(count), "--duration-ms", "0"]
    return a


def run_gen(gen, dur_ms=None, count=None, rate=None, routes=1, timeout=None):
    argv = gen_argv(gen, dur_ms, count, rate, routes)
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout or 3600)
    wall = time.monotonic() - t0
    try:
        js = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("generator %s failed (rc %d): %s" % (gen, r.returncode, r.stderr.strip()[-300:]))
    fired = js.get("fired_total", 0)
    fns = js.get("fire_ns", 0)
    return {
        "fired": fired,
        "fire_ns": fns,
        "wall_s": wall,
        "rate_per_s": js.get("rate_per_s", 0),
        "ns_per_op": fns / fired if fired else None,
        "errors": len(js.get("ioctl_errors", []) or []),
        "extra": {k: js[k] for k in ("moves", "affinity_writes", "reads", "irq") if k in js},
    }


# --------------------------------------------------------------------------
# configurations

class Config:
    """One way of observing the generator: a command to start before it and
    stop after it, how to tell it is ready, and what to read from it after."""

    def __init__(self, name, title, kind, argv_fn, ready=None, out_ext=None, parse=None,
                 gens=("msi", "irqfd", "churn"), note=""):
        self.name, self.title, self.kind = name, title, kind
        self.argv_fn, self.ready, self.out_ext, self.parse = argv_fn, ready, out_ext, parse
        self.gens, self.note = gens, note
        self.unavailable = None

    def __repr__(self):
        return self.name


class Running:
    def __init__(self, cfg, workdir, tag, tps):
        self.cfg = cfg
        self.out = os.path.join(workdir, "%s-%s.%s" % (cfg.name, tag, cfg.out_ext)) if cfg.out_ext else None
        self.stdout = os.path.join(workdir, "%s-%s.stdout" % (cfg.name, tag))
        self.stderr = os.path.join(workdir, "%s-%s.stderr" % (cfg.name, tag))
        argv = cfg.argv_fn(self.out, tps)
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=open(self.stdout, "w"), stderr=open(self.stderr, "w"),
                                  stdin=subprocess.DEVNULL, start_new_session=True)

    def text(self):
        return read(self.stdout) + "\n" + read(self.stderr)

    def wait_ready(self, timeout=60):
        """Ready when the tool says so (cfg.ready, a regex on its output), or,
        for tools that say nothing, when its count of attachment fds (BPF links,
        perf events) has been non-zero and stable for half a second."""
        t_end = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < t_end:
            if self.p.poll() is not None:
                return False
            if self.cfg.ready:
                if re.search(self.cfg.ready, self.text(), re.M):
                    time.sleep(0.3)
                    return True
            else:
                n = 0
                for p in tree(self.p.pid):
                    try:
                        for fd in os.listdir("/proc/%d/fd" % p):
                            try:
                                l = os.readlink("/proc/%d/fd/%s" % (p, fd))
                            except OSError:
                                continue
                            if "perf_event" in l or "bpf_link" in l or "bpf-prog" in l:
                                n += 1
                    except OSError:
                        pass
                if n != last:
                    last, since = n, time.monotonic()
                elif n > 0 and time.monotonic() - since > 0.5:
                    return True
            time.sleep(0.05)
        return False

    def group_alive(self):
        try:
            os.killpg(self.p.pid, 0)
            return True
        except OSError:
            return False

    def stop(self, timeout=180):
        """SIGINT to the tool's process group (what Ctrl-C does), then
        SIGTERM, then SIGKILL.  The group is signalled even when its leader
        is gone: trace-cmd's per-CPU recorders outlive a crashed parent."""
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGINT)
            except OSError:
                pass
            for sig, wait in ((None, timeout), (signal.SIGTERM, 20), (signal.SIGKILL, 10)):
                if sig:
                    try:
                        os.killpg(self.p.pid, sig)
                    except OSError:
                        pass
                try:
                    self.p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if not self.group_alive():
                break
            try:
                os.killpg(self.p.pid, sig)
            except OSError:
                break
            time.sleep(1)
        return self.p.returncode


def parse_record(run):
    t = read(run.stderr)
    m = None
    for m in re.finditer(r"(\d+) events written, (\d+) lost, (\d+) bytes, ([\d.]+) bytes/event", t):
        pass
    r = {}
    if m:
        r.update(records=int(m.group(1)), lost=int(m.group(2)), file_bytes=int(m.group(3)))
    if run.out and os.path.exists(run.out):
        r["file_bytes"] = os.path.getsize(run.out)
    return r


def parse_top(run):
    t = read(run.stdout)
    lost = [int(x) for x in re.findall(r"\blost (\d+)", t)]
    return {"lost": lost[-1] if lost else None, "frames": len(re.findall(r"^irqtrail top", t, re.M))}


def parse_perf(run):
    r = {}
    if not run.out or not os.path.exists(run.out):
        return {"error": "no perf.data"}
    r["file_bytes"] = os.path.getsize(run.out)
    p = subprocess.run(["perf", "report", "-i", run.out, "--stats"], capture_output=True, text=True, timeout=600)
    t = p.stdout + p.stderr
    m = re.search(r"SAMPLE events:\s+(\d+)", t)
    r["records"] = int(m.group(1)) if m else 0
    lost = 0
    m = re.search(r"LOST_SAMPLES events:\s+(\d+)", t)
    m2 = re.search(r"lost (\d+) chunks", t)
    m3 = re.search(r"\bLOST events:\s+(\d+)", t)
    lost_chunks = int(m2.group(1)) if m2 else (int(m3.group(1)) if m3 else 0)
    r["lost"] = lost_chunks
    r["lost_unit"] = "chunks (PERF_RECORD_LOST records)"
    if m:
        r["lost_samples_records"] = int(m.group(1))
    try:
        os.unlink(run.out)
    except OSError:
        pass
    return r


def parse_bpftrace(run):
    t = read(run.stdout)
    counts = [int(x) for x in re.findall(r"^@\[[^\]]*\]: (\d+)", t, re.M)]
    lost = sum(int(x) for x in re.findall(r"Lost (\d+) events", t + read(run.stderr)))
    return {"counted": sum(counts), "lost": lost}


def parse_tracecmd(run):
    t = run.text()
    r = {"lost": sum(int(x) for x in re.findall(r"overrun:\s*(\d+)", t))}
    if run.out and os.path.exists(run.out):
        r["file_bytes"] = os.path.getsize(run.out)
        p = subprocess.run(["trace-cmd", "report", "-i", run.out], capture_output=True, text=True, timeout=600)
        r["records"] = max(0, len(p.stdout.splitlines()) - 1)
    return r


def parse_none(run):
    return {"lost": 0}


def tracefs_disable(tps):
    """trace-cmd leaves its events enabled when it dies: switch off ours."""
    # set_event takes one event per write(): one open and write each
    for t in tps:
        try:
            fd = os.open("/sys/kernel/tracing/set_event", os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, ("!%s\n" % t).encode())
            finally:
                os.close(fd)
        except OSError:
            pass


def make_configs(tps, has_top):
    tp_perf = ",".join(tps)
    bt = ",".join("tracepoint:%s" % t for t in tps) + " { @[probe] = count(); } BEGIN { printf(\"ready\\n\"); }"
    cfgs = [
        Config("floor", "empty BPF prog, same tracepoints", "floor",
               lambda out, tps: [ATTACH, EMPTY_OBJ, "bench_empty"] + tps, ready=r"^ready"),
    ]
    if has_top:
        cfgs.append(Config("agg", "irqtrail top --batch (aggregating)", "irqtrail",
                           lambda out, tps: [IRQTRAIL, "top", "--batch", "-i", "1"],
                           ready=r"^irqtrail top", parse=parse_top))
    cfgs += [
        Config("routes", "irqtrail routes -D (aggregating, no bpf_stats)" if has_top
               else "irqtrail routes -D (aggregating; top --batch missing)", "irqtrail",
               lambda out, tps: [IRQTRAIL, "routes", "-D", "100000"], parse=parse_none),
        Config("record", "irqtrail record (default)", "irqtrail",
               lambda out, tps: [IRQTRAIL, "record", "-o", out], ready=r"recording to",
               out_ext="itr", parse=parse_record),
        Config("full", "irqtrail record --full", "irqtrail",
               lambda out, tps: [IRQTRAIL, "record", "--full", "-o", out], ready=r"recording to",
               out_ext="itr", parse=parse_record),
        Config("perf", "perf record -e <same tracepoints>", "peer",
               lambda out, tps: ["perf", "record", "-a", "-q", "-o", out, "-e", tp_perf],
               out_ext="data", parse=parse_perf),
        Config("bpftrace", "bpftrace @[probe] = count()", "peer",
               lambda out, tps: ["bpftrace", "-e", bt], ready=r"^ready", parse=parse_bpftrace),
        Config("trace-cmd", "trace-cmd record -e <same tracepoints>", "peer",
               lambda out, tps: ["trace-cmd", "record", "-d", "-o", out] + sum([["-e", t] for t in tps], []),
               ready=r"Hit Ctrl", out_ext="dat", parse=parse_tracecmd),
        Config("hardirqs", "hardirqs (libbpf-tools, handler time)", "peer",
               lambda out, tps: ["stdbuf", "-oL", "hardirqs"], ready=r"Tracing", parse=parse_none, gens=("churn",),
               note="attaches irq_handler_entry/exit only: measured on the churn generator"),
    ]
    return cfgs


# --------------------------------------------------------------------------
# measurement

class Bench:
    def __init__(self, a):
        self.a = a
        self.work = tempfile.mkdtemp(prefix="irqtrail-bench-")
        self.mine = set([os.getpid()])
        self.res = {"license": "SPDX-License-Identifier: GPL-2.0-only", "phases": {}}
        self.tps = []
        self.runs = 0

    def quiet(self, extra_pids=()):
        """Wait (bounded) until no foreign tracer is attached; return what
        was there when we gave up waiting (0 = quiet)."""
        mine = self.mine | set(extra_pids)
        t_end = time.monotonic() + self.a.quiet_wait
        while True:
            n, ev = foreign_tracers(mine)
            if (n == 0 and ev == 0) or time.monotonic() >= t_end:
                return n, ev
            time.sleep(0.5)

    def sample(self, gen, cfg, tag):
        """One generator run under cfg (None = bare)."""
        s = {"config": cfg.name if cfg else "bare"}
        run = None
        if cfg:
            s["foreign_before_start"] = self.quiet()
            run = Running(cfg, self.work, tag, self.tps)
            if not run.wait_ready():
                rc = run.stop(30)
                tracefs_disable(self.tps)
                if cfg.name == "trace-cmd":
                    # what it said before dying, and what the kernel said
                    pass
                s["error"] = "did not start (%s): %s" % (
                    "killed by signal %d" % -rc if rc is not None and rc < 0 else "rc %s" % rc,
                    " / ".join(l.strip() for l in run.text().splitlines() if l.strip())[-400:])
                return s, run
        pids = set(tree(run.p.pid)) if run else set()
        fb = self.quiet(pids) if not cfg else foreign_tracers(self.mine | pids)
        s["foreign_tracers"], s["foreign_ftrace_events"] = fb
        s["bpf_stats_on"] = stats_on()
        c0 = tree_cpu(run.p.pid) if run else (0, 0)
        try:
            g = run_gen(gen, dur_ms=self.a.duration_ms if gen != "churn" else self.a.churn_ms)
        except (RuntimeError, subprocess.SubprocessError) as e:
            s["error"] = str(e)
            if run:
                run.stop()
            return s, run
        c1 = tree_cpu(run.p.pid) if run else (0, 0)
        s.update(g)
        s["foreign_tracers_after"] = foreign_tracers(self.mine | pids)[0]
        if run:
            win = g["wall_s"] or 1
            s["tool_user_pct"] = 100.0 * (c1[0] - c0[0]) / win
            s["tool_sys_pct"] = 100.0 * (c1[1] - c0[1]) / win
            s["tool_rss_kb"] = rss_kb(run.p.pid)
            s["tool_rc"] = run.stop()
            if cfg.name == "trace-cmd":
                tracefs_disable(self.tps)
            try:
                s.update(cfg.parse(run) if cfg.parse else {})
            except (OSError, subprocess.SubprocessError, ValueError) as e:
                s["parse_error"] = str(e)
            if run.out and os.path.exists(run.out):
                os.unlink(run.out)
            if cfg.name == "perf" and s.get("fired") and s.get("records") is not None:
                want = s["fired"] * GENERATORS[gen]["tps_per_op"]
                if s["records"] < 0.05 * want:
                    # a BPF program on the same tracepoint that returns 0
                    # (irqtrail's, someone else's) makes the kernel drop
                    # perf's samples of it: such a run measured nothing (perf's
                    # own losses, in chunks, are counted in "lost" instead)
                    s["error"] = ("perf stored %d samples for %d expected: its samples were dropped "
                                  "(foreign BPF programs on the same tracepoints: %d)"
                                  % (s["records"], want, s.get("foreign_tracers", 0)))
        self.runs += 1
        return s, run

    def probe(self, cfg):
        """Can this peer run here at all?  One short attempt; the reason is
        kept and printed when it cannot."""
        exe = cfg.argv_fn("/tmp/x", self.tps)[0]
        if not shutil.which(exe) and not os.path.exists(exe):
            return "%s is not installed" % exe
        if cfg.name != "trace-cmd":
            return None
        s, run = self.sample("msi", cfg, "probe")
        if "error" in s:
            return s["error"]
        if not s.get("records"):
            return ("trace-cmd record ran but stored no events (rc %s): %s"
                    % (s.get("tool_rc"), " / ".join(l.strip() for l in run.text().splitlines()
                                                   if l.strip() and "CPU" not in l and "bytes" not in l)[-300:]))
        return None

    def rounds(self, gen, cfgs):
        cfgs = [c for c in cfgs if gen in c.gens and not c.unavailable]
        log("%s: %d rounds x (%d configurations + bare), %s each"
            % (gen, self.a.rounds, len(cfgs), "%d ms" % (self.a.duration_ms if gen != "churn" else self.a.churn_ms)))
        samples = {c.name: [] for c in cfgs}
        bares = []
        for r in range(self.a.rounds):
            k = r % len(cfgs) if cfgs else 0
            order = cfgs[k:] + cfgs[:k]
            b, _ = self.sample(gen, None, "bare")
            bares.append(b)
            for c in order:
                s, _ = self.sample(gen, c, "r%d" % r)
                b2, _ = self.sample(gen, None, "bare")
                bares.append(b2)
                if "error" in s:
                    log("  %s/%s round %d: %s" % (gen, c.name, r, s["error"][:300]))
                elif b.get("ns_per_op") and b2.get("ns_per_op") and s.get("ns_per_op"):
                    s["bare_ns_neighbours"] = [b["ns_per_op"], b2["ns_per_op"]]
                    s["added_ns"] = s["ns_per_op"] - (b["ns_per_op"] + b2["ns_per_op"]) / 2
                    s["ratio_to_bare"] = s["ns_per_op"] / ((b["ns_per_op"] + b2["ns_per_op"]) / 2)
                samples[c.name].append(s)
                b = b2
            log("  round %d/%d done (%s)" % (r + 1, self.a.rounds, ", ".join(
                "%s %+.0f" % (c.name, samples[c.name][-1].get("added_ns", float("nan"))) for c in cfgs)))
        return bares, samples

    # ---------------------------------------------------------------- phases

    def phase_overhead(self, cfgs):
        out = {}
        for gen in self.a.gens:
            if STOP:
                break
            bares, samples = self.rounds(gen, cfgs)
            g = {"title": GENERATORS[gen]["title"], "unit": GENERATORS[gen]["unit"],
                 "bare": summarize([b.get("ns_per_op") for b in bares if b.get("ns_per_op")]),
                 "bare_rate_per_s": med([b.get("rate_per_s") for b in bares]),
                 "bare_samples": bares, "configs": {}}
            if gen == "churn":
                g["note"] = ("the virtio-rng interrupt rate is set by the host's entropy source "
                             "(%.0f/s here): a few hundred ns added per interrupt is far below the "
                             "run-to-run spread of that rate, so added ns is not resolved on this "
                             "generator; see the bpf_stats phase for the in-kernel cost per interrupt"
                             % (g["bare_rate_per_s"] or 0))
            for name, ss in samples.items():
                ok = [s for s in ss if "added_ns" in s]
                c = {"samples": ss, "n": len(ok),
                     "added_ns": summarize([s["added_ns"] for s in ok]),
                     "ns_per_op": summarize([s["ns_per_op"] for s in ok]),
                     "rate_per_s": med([s["rate_per_s"] for s in ok]),
                     "lost": maxv([s.get("lost") for s in ok]),
                     "tool_user_pct": med([s.get("tool_user_pct") for s in ok]),
                     "tool_sys_pct": med([s.get("tool_sys_pct") for s in ok]),
                     "tool_rss_kb": maxv([s.get("tool_rss_kb") for s in ok]),
                     "errors": [s["error"] for s in ss if "error" in s][:3]}
                fb = [s.get("file_bytes") for s in ok if s.get("file_bytes")]
                if fb:
                    c["bytes_per_op"] = med([s["file_bytes"] / s["fired"] for s in ok
                                             if s.get("file_bytes") and s.get("fired")])
                    c["bytes_per_record"] = med([s["file_bytes"] / s["records"] for s in ok
                                                 if s.get("file_bytes") and s.get("records")])
                    c["records_per_op"] = med([s["records"] / s["fired"] for s in ok
                                               if s.get("records") and s.get("fired")])
                g["configs"][name] = c
            fl = g["configs"].get("floor", {}).get("added_ns", {}).get("median")
            for name, c in g["configs"].items():
                a = c["added_ns"].get("median")
                c["x_floor"] = (a / fl) if (a is not None and fl and fl > 0) else None
                # the same ratio per round (config and floor of one round are minutes apart at most)
                fs = [s.get("added_ns") for s in samples.get("floor", [])]
                cs = [s.get("added_ns") for s in c["samples"]]
                per = [x / f for x, f in zip(cs, fs) if x is not None and f and f > 0]
                c["x_floor_per_round"] = summarize(per)
            out[gen] = g
        self.res["phases"]["overhead"] = out

    def phase_bpf_stats(self, cfgs):
        """Per-program run time (kernel.bpf_stats_enabled) of every BPF
        program of each BPF-based configuration, one run per generator."""
        out = {}
        names = ["floor", "agg", "record", "full", "bpftrace", "hardirqs"]
        try:
            hold = BpfStats().__enter__()
        except OSError as e:
            self.res["phases"]["bpf_stats"] = {"error": "cannot enable bpf stats: %s" % e}
            return
        try:
            for gen in self.a.gens:
                out[gen] = {}
                for c in cfgs:
                    if c.name not in names or gen not in c.gens or c.unavailable:
                        continue
                    self.quiet()
                    run = Running(c, self.work, "stats-" + gen, self.tps)
                    if not run.wait_ready():
                        run.stop(30)
                        continue
                    p0 = prog_fds(run.p.pid)
                    try:
                        g = run_gen(gen, dur_ms=self.a.duration_ms if gen != "churn" else self.a.churn_ms)
                    except RuntimeError as e:
                        run.stop()
                        log("bpf_stats %s/%s: %s" % (gen, c.name, e))
                        continue
                    p1 = prog_fds(run.p.pid)
                    nm = prog_names(set(p1))  # while they are loaded
                    run.stop()
                    if run.out and os.path.exists(run.out):
                        os.unlink(run.out)
                    # in-BPF ns per event: the programs on the tracepoints this
                    # generator fires, each at most once per event (a shared
                    # machine runs other KVM guests and interrupts too); the
                    # floor's one program stands on all of them
                    progs, tot = [], 0
                    for pid_, (rt, rc) in sorted(p1.items()):
                        rt0, rc0 = p0.get(pid_, (0, 0))
                        d_rt, d_rc = rt - rt0, rc - rc0
                        name = nm.get(pid_, "?")
                        if d_rc and g["fired"]:
                            if name == "bench_empty":
                                tot += d_rt / d_rc * GENERATORS[gen]["tps_per_op"] * g["fired"]
                            elif any(t in name for t in GENERATORS[gen]["tp_names"]):
                                tot += d_rt / d_rc * min(d_rc, g["fired"])
                        progs.append({"id": pid_, "name": name, "runs": d_rc, "ns": d_rt,
                                      "ns_per_run": (d_rt / d_rc) if d_rc else None,
                                      "runs_per_op": d_rc / g["fired"] if g["fired"] else None,
                                      "ns_per_op": d_rt / g["fired"] if g["fired"] else None})
                    progs.sort(key=lambda p: -p["ns"])
                    out[gen][c.name] = {"fired": g["fired"], "rate_per_s": g["rate_per_s"],
                                        "bpf_ns_per_op": tot / g["fired"] if g["fired"] else None,
                                        "programs": progs}
        finally:
            hold.__exit__()
        self.res["phases"]["bpf_stats"] = out

    def phase_ops(self):
        """Cost of each helper / map operation, one micro-program at a time
        on kvm:kvm_msi_set_irq under the KVM_SIGNAL_MSI storm."""
        progs = ["op_empty", "op_ktime", "op_pid_tgid", "op_cpu_id", "op_atomic_add", "op_percpu_array",
                 "op_percpu_array_x3", "op_percpu_hash", "op_hash", "op_lru_upd_del", "op_hist",
                 "op_ringbuf_query", "op_ringbuf_nowakeup", "op_record_like", "op_ringbuf_wakeup"]
        cfg = Config("ops", "", "ops", None, ready=r"^ready")
        res = {}
        try:
            hold = BpfStats().__enter__()
        except OSError as e:
            self.res["phases"]["ops"] = {"error": str(e)}
            return
        try:
            for rep in range(self.a.ops_reps):
                for pname in progs:
                    cfg.name = pname
                    cfg.argv_fn = (lambda pn: lambda out, tps: [ATTACH, OPS_OBJ, pn, "kvm:kvm_msi_set_irq"])(pname)
                    self.quiet()
                    run = Running(cfg, self.work, "ops", self.tps)
                    if not run.wait_ready(30):
                        res.setdefault(pname, {"error": run.text().strip()[-200:]})
                        run.stop(10)
                        continue
                    p0 = prog_fds(run.p.pid)
                    g = run_gen("msi", dur_ms=self.a.ops_ms)
                    p1 = prog_fds(run.p.pid)
                    run.stop(20)
                    rt = sum(v[0] for v in p1.values()) - sum(v[0] for v in p0.values())
                    rc = sum(v[1] for v in p1.values()) - sum(v[1] for v in p0.values())
                    e = res.setdefault(pname, {"ns_per_run": [], "gen_ns_per_op": []})
                    if rc:
                        e["ns_per_run"].append(rt / rc)
                    e["gen_ns_per_op"].append(g["ns_per_op"])
        finally:
            hold.__exit__()
        base = med(res.get("op_empty", {}).get("ns_per_run", []))
        gbase = med(res.get("op_empty", {}).get("gen_ns_per_op", []))
        for k, e in res.items():
            if "ns_per_run" in e:
                e["median_ns_per_run"] = med(e["ns_per_run"])
                e["op_ns"] = (e["median_ns_per_run"] - base) if (base is not None and e["median_ns_per_run"] is not None) else None
                e["gen_added_vs_empty_ns"] = (med(e["gen_ns_per_op"]) - gbase) if gbase else None
        self.res["phases"]["ops"] = res

    def phase_replay(self):
        """Replay throughput of the same workload recorded by irqtrail
        --full and by perf record (one after the other: on the same
        tracepoints at the same time, irqtrail's programs would swallow
        perf's samples)."""
        out = {"ops": self.a.replay_ops}
        tps = self.tps
        # irqtrail --full
        files = {}
        for name, argv, ready, ext in (
                ("irqtrail", lambda f: [IRQTRAIL, "record", "--full", "-q", "256", "-o", f], r"recording to", "itr"),
                ("perf", lambda f: ["perf", "record", "-a", "-q", "-m", "64M", "-o", f, "-e", ",".join(tps)], None, "data"),
        ):
            if name == "perf" and not shutil.which("perf"):
                continue
            f = os.path.join(self.work, "replay." + ext)
            cfg = Config("replay-" + name, "", "replay", lambda out, t, argv=argv: argv(out), ready=ready, out_ext=ext)
            self.quiet()
            run = Running(cfg, self.work, "big", tps)
            if not run.wait_ready():
                run.stop(30)
                out[name] = {"error": "did not start: " + run.text()[-300:]}
                continue
            g = run_gen("msi", count=self.a.replay_ops, timeout=3600)
            rc = run.stop(600)
            files[name] = run.out
            out[name] = {"record": {"fired": g["fired"], "rate_per_s": g["rate_per_s"], "rc": rc,
                                    "file_bytes": os.path.getsize(run.out) if os.path.exists(run.out) else 0,
                                    "tail": read(run.stderr).strip().splitlines()[-1:]}}
        readers = []
        if "irqtrail" in files:
            recs = None
            d = subprocess.run([IRQTRAIL, "dump", files["irqtrail"]], capture_output=True, text=True)
            m = re.findall(r"^\s*\d+\s+\w+\s+(\d+)\s*$", d.stdout, re.M)
            recs = sum(int(x) for x in m) if m else None
            readers.append(("irqtrail", [IRQTRAIL, "replay", "--summary", files["irqtrail"]], recs))
        if "perf" in files:
            p = subprocess.run(["perf", "report", "-i", files["perf"], "--stats"], capture_output=True, text=True)
            m = re.search(r"SAMPLE events:\s+(\d+)", p.stdout)
            readers.append(("perf", ["perf", "script", "-i", files["perf"]], int(m.group(1)) if m else None))
        for name, argv, recs in readers:
            best = None
            for _ in range(self.a.replay_reps):
                cpu = "1" if os.cpu_count() > 1 else "0"
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.monotonic()
                p = subprocess.run(["taskset", "-c", cpu] + argv, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
                wall = time.monotonic() - t0
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu_s = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
                e = {"wall_s": wall, "cpu_s": cpu_s, "rc": p.returncode,
                     "stderr_tail": p.stderr.strip().splitlines()[-1:] if p.stderr.strip() else []}
                if best is None or wall < best["wall_s"]:
                    best = e
            best["records"] = recs
            best["records_per_s"] = recs / best["wall_s"] if recs and best["wall_s"] else None
            best["ops_per_s"] = self.a.replay_ops / best["wall_s"] if best["wall_s"] else None
            out[name]["read"] = best
            out[name]["reader"] = " ".join(argv[:3])
        for f in files.values():
            try:
                os.unlink(f)
            except OSError:
                pass
        if out.get("irqtrail", {}).get("read") and out.get("perf", {}).get("read"):
            a, b = out["irqtrail"]["read"], out["perf"]["read"]
            out["x_perf_script_same_ops"] = (a["ops_per_s"] / b["ops_per_s"]) if b["ops_per_s"] else None
            if a.get("records_per_s") and b.get("records_per_s"):
                out["x_perf_script_records"] = a["records_per_s"] / b["records_per_s"]
        out["trace-cmd"] = {"error": "trace-cmd cannot record here (see the overhead phase)"}
        self.res["phases"]["replay"] = out

    def phase_dashboard(self, has_top):
        """CPU of the dashboard process at 1M events/s (and idle)."""
        if not has_top:
            self.res["phases"]["dashboard"] = {"error": "irqtrail top --batch is not available"}
            return
        out = {}
        for label, rate in (("idle", None), ("1M", 1000000)):
            cfg = Config("dash", "", "dash", lambda o, t: [IRQTRAIL, "top", "--batch", "-i", "1"], ready=r"^irqtrail top")
            self.quiet()
            run = Running(cfg, self.work, label, self.tps)
            if not run.wait_ready():
                run.stop(30)
                out[label] = {"error": run.text()[-300:]}
                continue
            c0 = tree_cpu(run.p.pid)
            t0 = time.monotonic()
            if rate:
                g = run_gen("msi", dur_ms=self.a.dash_s * 1000, rate=rate)
            else:
                time.sleep(self.a.dash_s)
                g = {"rate_per_s": 0, "fired": 0}
            wall = time.monotonic() - t0
            c1 = tree_cpu(run.p.pid)
            run.stop()
            out[label] = {"rate_per_s": g["rate_per_s"], "fired": g["fired"], "seconds": wall,
                          "user_pct": 100 * (c1[0] - c0[0]) / wall, "sys_pct": 100 * (c1[1] - c0[1]) / wall,
                          "cpu_pct": 100 * ((c1[0] - c0[0]) + (c1[1] - c0[1])) / wall,
                          "frames": parse_top(run)["frames"]}
        self.res["phases"]["dashboard"] = out

    def phase_rss(self, has_top):
        """Resident memory of the aggregating dashboard and of record
        (default) while many events go by, on a fixed set of routes."""
        routes = 8
        total = self.a.rss_events
        out = {"events": total, "routes": routes, "series": {}}
        runs = []
        specs = [("record", lambda o, t: [IRQTRAIL, "record", "-o", o], r"recording to", "itr")]
        if has_top:
            specs.insert(0, ("agg", lambda o, t: [IRQTRAIL, "top", "--batch", "-i", "1"], r"^irqtrail top", None))
        self.quiet()
        for name, fn, ready, ext in specs:
            cfg = Config("rss-" + name, "", "rss", fn, ready=ready, out_ext=ext)
            r = Running(cfg, self.work, "rss", self.tps)
            if not r.wait_ready():
                r.stop(30)
                out["series"][name] = {"error": r.text()[-300:]}
                continue
            runs.append((name, r))
        for name, r in runs:
            out["series"][name] = {"start_kb": rss_kb(r.p.pid), "points": []}
        argv = gen_argv("msi", count=total // routes, routes=routes)
        t0 = time.monotonic()
        gp = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while gp.poll() is None:
            time.sleep(1)
            t = time.monotonic() - t0
            for name, r in runs:
                out["series"][name]["points"].append([round(t, 1), rss_kb(r.p.pid)])
        so, _ = gp.communicate()
        wall = time.monotonic() - t0
        try:
            js = json.loads(so.strip().splitlines()[-1])
            fired = js.get("fired_total", 0)
        except (ValueError, IndexError):
            fired = 0
        out["fired"] = fired
        out["seconds"] = wall
        for name, r in runs:
            s = out["series"][name]
            pts = s["points"]
            s["end_kb"] = rss_kb(r.p.pid)
            # RSS when 10% of the events had gone by (time-proportional)
            p10 = [p for p in pts if p[0] >= 0.1 * wall]
            s["at_10pct_kb"] = p10[0][1] if p10 else s["start_kb"]
            s["growth_10_to_100_kb"] = s["end_kb"] - s["at_10pct_kb"]
            s["rc"] = r.stop()
            if r.out and os.path.exists(r.out):
                s["file_bytes"] = os.path.getsize(r.out)
                os.unlink(r.out)
            if len(pts) > 40:  # keep the JSON small
                step = len(pts) / 40.0
                s["points"] = [pts[int(i * step)] for i in range(40)] + [pts[-1]]
        self.res["phases"]["rss"] = out


# --------------------------------------------------------------------------
# statistics and output

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def maxv(xs):
    xs = [x for x in xs if x is not None]
    return max(xs) if xs else None


def summarize(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return {"n": 0}
    q = lambda p: xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
    return {"n": len(xs), "median": statistics.median(xs), "min": xs[0], "max": xs[-1],
            "q1": q(0.25), "q3": q(0.75), "mean": statistics.fmean(xs)}


def fmt(v, f="%.0f", none="-"):
    return none if v is None else f % v


def table(res, cfgs):
    lines = []
    ov = res["phases"].get("overhead", {})
    st = res["phases"].get("bpf_stats", {})
    W = "%-10s %-44s %8s %16s %7s %6s %7s %7s %6s %6s %7s"
    for gen, g in ov.items():
        lines.append("")
        lines.append("== %s: %s" % (gen, g["title"]))
        lines.append("   event = %s" % g["unit"])
        b = g["bare"]
        lines.append("   bare: %s ns/event (median of %d, %s..%s), %s events/s"
                     % (fmt(b.get("median")), b.get("n", 0), fmt(b.get("min")), fmt(b.get("max")),
                        fmt(g.get("bare_rate_per_s"))))
        if g.get("note"):
            lines.append("   note: " + g["note"])
        lines.append(W % ("config", "", "ns/event", "added [min..max]", "x floor", "lost", "B/event",
                          "B/rec", "user%", "sys%", "bpf ns"))
        for c in cfgs:
            if gen not in c.gens:
                continue
            if c.unavailable:
                lines.append("%-10s %-44s   cannot run here: %s" % (c.name, c.title[:44], c.unavailable[:120]))
                continue
            r = g["configs"].get(c.name)
            if not r or not r["n"]:
                err = (r or {}).get("errors") or ["no samples"]
                lines.append("%-10s %-44s   failed: %s" % (c.name, c.title[:44], err[0][:120]))
                continue
            a = r["added_ns"]
            bns = st.get(gen, {}).get(c.name, {}).get("bpf_ns_per_op")
            lines.append(W % (c.name, c.title[:44], fmt(r["ns_per_op"].get("median")),
                              "%s [%s..%s]" % (fmt(a.get("median"), "%+.0f"), fmt(a.get("min"), "%.0f"),
                                               fmt(a.get("max"), "%.0f")),
                              fmt(r.get("x_floor"), "%.1f"), fmt(r.get("lost")),
                              fmt(r.get("bytes_per_op"), "%.1f"), fmt(r.get("bytes_per_record"), "%.1f"),
                              fmt(r.get("tool_user_pct"), "%.1f"), fmt(r.get("tool_sys_pct"), "%.1f"),
                              fmt(bns, "%.0f")))
    if st:
        lines.append("")
        lines.append("== per-program run time (kernel.bpf_stats_enabled), ns/run x runs/event")
        for gen, d in st.items():
            if not isinstance(d, dict):
                continue
            for cname, e in d.items():
                if cname not in ("agg", "record", "full", "floor"):
                    continue
                ps = [p for p in e["programs"] if p["runs"]]
                lines.append("   %-6s %-7s in-BPF %s ns/event: %s" % (
                    gen, cname, fmt(e.get("bpf_ns_per_op")),
                    ", ".join("%s %s x%.2f" % (p["name"], fmt(p["ns_per_run"]), p["runs_per_op"] or 0)
                              for p in ps[:6])))
    ops = res["phases"].get("ops")
    if ops and "error" not in ops:
        lines.append("")
        lines.append("== helper / map operation costs (one program on kvm_msi_set_irq; ns inside the program beyond op_empty; generator ns/event added vs op_empty)")
        for k, e in ops.items():
            if "median_ns_per_run" in e:
                lines.append("   %-22s %6s ns/run  op %6s ns   generator %+6s ns/event" % (
                    k, fmt(e["median_ns_per_run"], "%.1f"), fmt(e["op_ns"], "%.1f"),
                    fmt(e.get("gen_added_vs_empty_ns"), "%.0f")))
    rp = res["phases"].get("replay")
    if rp:
        lines.append("")
        lines.append("== replay of %d KVM_SIGNAL_MSI ops (one core, best of %d)" % (rp["ops"], res["args"]["replay_reps"]))
        for name in ("irqtrail", "perf"):
            e = rp.get(name, {})
            if "read" in e:
                r = e["read"]
                lines.append("   %-9s %-40s %9s records in %6.2fs = %8s records/s, %8s ops/s (file %s B)" % (
                    name, e["reader"], fmt(r["records"]), r["wall_s"], fmt(r["records_per_s"], "%.3g"),
                    fmt(r["ops_per_s"], "%.3g"), fmt(e["record"]["file_bytes"])))
            elif e:
                lines.append("   %-9s %s" % (name, e.get("error", "?")[:150]))
        lines.append("   trace-cmd report: %s" % rp.get("trace-cmd", {}).get("error", ""))
    db = res["phases"].get("dashboard")
    if db and "error" not in db:
        lines.append("")
        lines.append("== dashboard (irqtrail top --batch -i 1)")
        for k, e in db.items():
            if "cpu_pct" in e:
                lines.append("   %-5s %9s events/s: %.2f%% of a core (user %.2f%%, sys %.2f%%), %d frames" % (
                    k, fmt(e["rate_per_s"]), e["cpu_pct"], e["user_pct"], e["sys_pct"], e["frames"]))
    rs = res["phases"].get("rss")
    if rs:
        lines.append("")
        lines.append("== resident memory over %s events on %d routes (%.0fs)" % (fmt(rs.get("fired")), rs["routes"], rs.get("seconds", 0)))
        for k, s in rs["series"].items():
            if "end_kb" in s:
                lines.append("   %-7s start %6d kB, at 10%% %6d kB, end %6d kB (growth 10%%->100%%: %+d kB)" % (
                    k, s["start_kb"], s["at_10pct_kb"], s["end_kb"], s["growth_10_to_100_kb"]))
    return "\n".join(lines)


def targets(res):
    t = []
    ov = res["phases"].get("overhead", {})

    def add(name, ok, detail):
        t.append({"target": name, "pass": ok, "detail": detail})

    for gen in ("msi", "irqfd"):
        g = ov.get(gen)
        if not g:
            continue
        fl = g["configs"].get("floor", {}).get("added_ns", {}).get("median")
        ag = g["configs"].get("agg") or g["configs"].get("routes")
        if ag and ag["n"] and fl:
            a = ag["added_ns"]["median"]
            add("aggregating <= 2x floor (%s)" % gen, a <= 2 * fl,
                "%s adds %.0f ns/event, floor %.0f ns -> %.1fx" % ("top --batch" if "agg" in g["configs"] else "routes -D", a, fl, a / fl))
        for cn in ("record", "full"):
            c = g["configs"].get(cn)
            if not c or not c["n"]:
                continue
            a = c["added_ns"]["median"]
            lost = c.get("lost") or 0
            bpe = c.get("bytes_per_record") if cn == "full" else c.get("bytes_per_op")
            rate = c.get("rate_per_s") or 0
            bare_rate = g.get("bare_rate_per_s") or 0
            ev_rate = bare_rate * GENERATORS[gen]["tps_per_op"]
            add("record%s <= 100 ns/event added (%s)" % (" --full" if cn == "full" else "", gen), a <= 100,
                "%.0f ns added; generator %.2fM ops/s bare (%.2fM tracepoint events/s%s), %.2fM ops/s recording"
                % (a, bare_rate / 1e6, ev_rate / 1e6, "" if ev_rate >= 5e6 else ", below the 5M/s of the target",
                   rate / 1e6))
            add("record%s zero lost (%s)" % (" --full" if cn == "full" else "", gen), lost == 0,
                "%d lost (worst run)" % lost)
            if bpe is not None:
                add("record%s <= 16 B/event on disk (%s)" % (" --full" if cn == "full" else "", gen), bpe <= 16,
                    "%.2f B per %s" % (bpe, "stored record" if cn == "full" else "event (aggregated: file / events)"))
    rp = res["phases"].get("replay", {})
    ir = rp.get("irqtrail", {}).get("read")
    if ir:
        add("replay --summary >= 20M events/s on one core", (ir.get("records_per_s") or 0) >= 20e6,
            "%s records/s (%s records, %.2fs wall, %.2fs CPU)" % (fmt(ir.get("records_per_s"), "%.3g"),
                                                                    fmt(ir.get("records")), ir["wall_s"], ir["cpu_s"]))
    if rp.get("x_perf_script_same_ops") is not None:
        add("replay --summary >= 10x perf script (same events)", rp["x_perf_script_same_ops"] >= 10,
            "%.1fx on the same injections (%s x per record)" % (rp["x_perf_script_same_ops"],
                                                               fmt(rp.get("x_perf_script_records"), "%.1f")))
    db = res["phases"].get("dashboard", {})
    if "1M" in db and "cpu_pct" in db["1M"]:
        e = db["1M"]
        idle = db.get("idle", {}).get("cpu_pct")
        v, how = e["cpu_pct"], "measured"
        if e["rate_per_s"] and e["rate_per_s"] < 0.9e6 and idle is not None:
            # the generator could not reach 1M/s here (loaded machine): scale
            # the part above idle linearly to 1M/s, and say so
            v = idle + (e["cpu_pct"] - idle) * 1e6 / e["rate_per_s"]
            how = "projected to 1M/s from"
        add("dashboard refresh < 2% of a core at 1M events/s", v < 2,
            "%.2f%% (%s %.2f%% at %s events/s; idle %s%%)" % (v, how, e["cpu_pct"], fmt(e["rate_per_s"]),
                                                            fmt(idle, "%.2f")))
    rs = res["phases"].get("rss", {})
    for k, s in rs.get("series", {}).items():
        if "growth_10_to_100_kb" in s:
            add("memory bounded by routes (%s, %s events)" % (k, fmt(rs.get("fired"))),
                s["growth_10_to_100_kb"] <= 4096,
                "RSS %d kB at 10%%, %d kB at the end (limit: +4096 kB)" % (s["at_10pct_kb"], s["end_kb"]))
    return t


def attached_tracepoints():
    r = subprocess.run([IRQTRAIL, "doctor", "-j"], capture_output=True, text=True, timeout=120)
    try:
        js = json.loads(r.stdout)
    except ValueError:
        die("irqtrail doctor -j failed: %s" % r.stderr.strip()[-300:])
    return [h["hook"] for h in js.get("hooks", [])
            if h.get("attached") and h.get("tier") in ("tracepoint", "syscall") and ":" in h["hook"]]


def has_top_batch():
    try:
        r = subprocess.run([IRQTRAIL, "top", "--batch", "-n", "1", "-i", "0.2"], capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0 and "irqtrail top" in r.stdout


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def main():
    global STOP
    quick = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
    ap = argparse.ArgumentParser(description="irqtrail benchmark (make bench)")
    ap.add_argument("--quick", action="store_true", default=quick, help="short windows (~2 minutes)")
    ap.add_argument("--only", default="", help="comma list of generators: msi,irqfd,churn")
    ap.add_argument("--configs", default="", help="comma list of configurations to keep")
    ap.add_argument("--phases", default="overhead,bpf_stats,ops,replay,dashboard,rss")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration-ms", type=int)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    q = a.quick
    # quick: same design (>= 5 alternating pairs), shorter windows, fewer events
    # quick: the same alternating design on the KVM_SIGNAL_MSI storm only, 3
    # rounds of short windows: a smoke run of every phase in about two minutes.
    # The full mode (>= 5 pairs per configuration, every generator) is the one
    # whose numbers count.
    a.rounds = a.rounds or (3 if q else 5)
    a.duration_ms = a.duration_ms or (250 if q else 1500)
    a.churn_ms = 1000 if q else 3000
    a.quiet_wait = 5 if q else 15
    a.ops_ms = 200 if q else 800
    a.ops_reps = 1 if q else 3
    a.replay_ops = 300000 if q else 3000000
    a.replay_reps = 1 if q else 3
    a.dash_s = 4 if q else 10
    a.rss_events = 10_000_000 if q else 100_000_000
    a.gens = [g for g in (a.only.split(",") if a.only else ["msi", "irqfd", "churn"]) if g]
    if q and not a.only:
        a.gens = ["msi"]
    phases = set(a.phases.split(","))

    if os.geteuid() != 0:
        die("needs root (BPF, /dev/kvm, /proc/irq)")
    for f in (IRQTRAIL, ITVMM, ATTACH, CHURN, EMPTY_OBJ, OPS_OBJ):
        if not os.path.exists(f):
            die("missing %s (run through 'make bench')" % f)
    if not os.path.exists("/dev/kvm"):
        die("no /dev/kvm")

    def on_sig(*_):
        global STOP
        STOP = True
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_sig)

    b = Bench(a)
    b.tps = attached_tracepoints()
    top = has_top_batch()
    cfgs = make_configs(b.tps, top)
    if a.configs:
        keep = set(a.configs.split(",")) | {"floor"}
        cfgs = [c for c in cfgs if c.name in keep]
    start = time.time()
    git = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    b.res.update({
        "schema": "irqtrail-bench/1",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "kernel": platform.release(), "cpus": os.cpu_count(),
        "irqtrail": tool_version([IRQTRAIL, "--version"]), "git": git,
        "quick": q, "args": {k: v for k, v in vars(a).items()},
        "loadavg_start": read("/proc/loadavg").split()[:3],
        "tracepoints": b.tps, "top_batch": top,
        "tools": {"perf": tool_version(["perf", "--version"]), "bpftrace": tool_version(["bpftrace", "--version"]),
                  "trace-cmd": tool_version(["trace-cmd", "--version"]),
                  "hardirqs": "libbpf-tools" if shutil.which("hardirqs") else None},
        "configs": {c.name: {"title": c.title, "kind": c.kind, "note": c.note} for c in cfgs},
    })
    log("%d tracepoints (%s ...); top --batch %s; work dir %s"
        % (len(b.tps), ", ".join(b.tps[:3]), "found" if top else "missing: aggregating = routes -D", b.work))
    try:
        for c in cfgs:
            if c.kind == "peer":
                why = b.probe(c)
                if why:
                    c.unavailable = why
                    b.res["configs"][c.name]["unavailable"] = why
                    log("%s cannot run here: %s" % (c.name, why))
        if "overhead" in phases:
            b.phase_overhead(cfgs)
        if "bpf_stats" in phases:
            log("bpf_stats phase")
            b.phase_bpf_stats(cfgs)
        if "ops" in phases:
            log("helper/map micro-costs phase")
            b.phase_ops()
        if "replay" in phases:
            log("replay phase (%d ops)" % a.replay_ops)
            b.phase_replay()
        if "dashboard" in phases:
            log("dashboard phase")
            b.phase_dashboard(top)
        if "rss" in phases:
            log("memory phase (%d events)" % a.rss_events)
            b.phase_rss(top)
    except KeyboardInterrupt:
        log("interrupted: writing what was measured")
    finally:
        tracefs_disable(b.tps)
    b.res["seconds"] = time.time() - start
    b.res["loadavg_end"] = read("/proc/loadavg").split()[:3]
    b.res["targets"] = targets(b.res)
    fs = [s.get("foreign_tracers", (0,)) for g in b.res["phases"].get("overhead", {}).values()
          for c in g["configs"].values() for s in c["samples"]]
    noisy = sum(1 for s in [x for g in b.res["phases"].get("overhead", {}).values()
                            for x in g["bare_samples"]] if s.get("foreign_tracers", 0))
    b.res["noise"] = {"bare_runs_with_foreign_tracers": noisy,
                      "loadavg": [b.res["loadavg_start"], b.res["loadavg_end"]]}
    os.makedirs(a.out, exist_ok=True)
    name = "%s-%s%s.json" % (time.strftime("%Y%m%d-%H%M%S"), socket.gethostname(), "-quick" if q else "")
    path = os.path.join(a.out, name)
    with open(path + ".tmp", "w") as f:
        json.dump(b.res, f, indent=1, default=str)
    os.replace(path + ".tmp", path)
    print("irqtrail bench  %s  kernel %s  %d cpus  %s  load %s -> %s  (%.0fs, %d generator runs)"
          % (b.res["date"], b.res["kernel"], b.res["cpus"], "QUICK" if q else "full",
             " ".join(b.res["loadavg_start"]), " ".join(b.res["loadavg_end"]), b.res["seconds"], b.runs))
    print("added = ns/event of the configuration minus the mean of the bare runs just before and after it;"
          " median over %d rounds [min..max]" % a.rounds)
    print(table(b.res, cfgs))
    print("")
    for t in b.res["targets"]:
        print("%s  %-52s %s" % ("PASS" if t["pass"] else "FAIL", t["target"], t["detail"]))
    if noisy:
        print("\nnoise: %d bare runs had other processes' BPF programs on tracepoints (shared machine)" % noisy)
    print("\nJSON: %s" % os.path.relpath(path, ROOT))
    shutil.rmtree(b.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# serve --prometheus: scraped with curl while the test VMM runs a VM with a
# reserved-vector route and 5000 KVM_SIGNAL_MSI; the page is valid exposition
# format (our parser, and promtool when installed) and holds exact numbers
# for that VM; the endpoint answers 10,000 requests (4 clients at once) and
# survives malformed ones; SIGTERM stops it with status 0.
set -u
. "$(dirname "$0")/lib.sh"
need_kvm
need_irqtrail

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/metrics"

# bad addresses are refused up front (one line, status 2); a busy port fails
"$IRQTRAIL" serve --prometheus nonsense > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 2 ] && [ "$(grep -c . "$W/err")" = 1 ] || fail "serve --prometheus nonsense: exit $rc: $(cat "$W/err")"

rm -f "$W/go" "$W/serve.err"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 20000 --bad-route --vcpus 1 --route 60:0xfee00000:0x0005 \
	--signal 0xfee00000:0x0041:5000 --rate 10000 --pause-ms 4000 > "$W/vmm.json" 2> "$W/vmm.err" &
VMM_PID=$!
CLEANUP_PIDS+=("$VMM_PID")
"$IRQTRAIL" serve --prometheus "127.0.0.1:$port" --interval 0.5 > "$W/serve.out" 2> "$W/serve.err" &
srv=$!
CLEANUP_PIDS+=("$srv")
wait_for "$W/serve.err" 'irqtrail: serving' "$srv" "irqtrail serve"

"$IRQTRAIL" serve --prometheus "127.0.0.1:$port" -D 5 > "$W/out2" 2> "$W/err2"
rc=$?
[ "$rc" = 1 ] && grep -q "cannot listen on 127.0.0.1:$port" "$W/err2" || fail "second serve on a busy port: exit $rc: $(cat "$W/err2")"

touch "$W/go"
sleep 2	# the VMM fires for 0.5 s, then pauses with its routes in place
curl -sf -D "$W/headers" "$url" > "$W/m1.txt" || fail "curl $url failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$W/headers" || fail "content type: $(cat "$W/headers")"
wait "$VMM_PID" || fail "itvmm exited $?: $(head -c 400 "$W/vmm.err")"
sleep 1.2	# two refresh intervals
curl -sf "$url" > "$W/m2.txt" || fail "curl $url failed"

for f in m1 m2; do
	python3 "$RULES_DIR/promparse.py" "$W/$f.txt" || fail "$f: invalid exposition format"
	if command -v promtool > /dev/null; then
		promtool check metrics < "$W/$f.txt" > "$W/$f.promtool" 2>&1 || fail "promtool: $(head -c 800 "$W/$f.promtool")"
		echo "promtool check metrics: $f ok"
	fi
done

python3 - "$W/m2.txt" "$W/vmm.json" "$RULES_DIR" <<'PY' || exit 1
import json, os, sys
sys.path.insert(0, sys.argv[3])
import promparse
fams = promparse.parse(open(sys.argv[1]).read())
vmm = json.load(open(sys.argv[2]))
pid = vmm["pid"]
V = lambda name, **kw: promparse.values(fams, name, **kw)
errs = []
def want(cond, msg):
    if not cond:
        errs.append(msg)
fired = sum(f["ok"] for f in vmm["fired"])
want(fired == 5000, "VMM fired %d" % fired)
inj = V("irqtrail_guest_injections_total", vm_pid=pid, msi="0xfee00000/0x41")
want(inj == [fired], "injections for pid %d: %s, want [%d]" % (pid, inj, fired))
want(V("irqtrail_vm_injections_total", vm_pid=pid) == [fired], "vm injections %s" % V("irqtrail_vm_injections_total", vm_pid=pid))
want(V("irqtrail_vm_vcpus", vm_pid=pid) == [1], "vcpus %s" % V("irqtrail_vm_vcpus", vm_pid=pid))
want(V("irqtrail_vm_routes", vm_pid=pid) == [1], "routes %s" % V("irqtrail_vm_routes", vm_pid=pid))
want(V("irqtrail_finding_active", rule="IRT011", vm_pid=pid, gsi=60) == [1], "IRT011 finding for pid %d missing" % pid)
a = V("irqtrail_alerts_total", rule="IRT011")
want(len(a) == 1 and a[0] >= 1, "irqtrail_alerts_total IRT011 %s" % a)
import re
doc = set(re.findall(r"^### (IRT[0-9]{3}) ", open(os.path.join(sys.argv[3], "../../docs/rules.md")).read(), re.M))
want(len(V("irqtrail_alerts_total")) == len(doc),
     "alert counters for %d rules, docs/rules.md documents %d" % (len(V("irqtrail_alerts_total")), len(doc)))
for code in sorted(doc):
    want(len(V("irqtrail_alerts_total", rule=code)) == 1, "no alert counter for %s" % code)
want(len(V("irqtrail_bpf_recursion_misses_total")) == 1, "no irqtrail_bpf_recursion_misses_total")
want(V("irqtrail_alerts_active", rule="IRT011")[0] >= 1, "alerts_active IRT011")
want(V("irqtrail_hook_attached", hook="kvm:kvm_msi_set_irq") == [1], "kvm_msi_set_irq hook gauge")
want(V("irqtrail_hook_attached", hook="syscalls:sys_exit_ioctl") == [1], "ioctl hook gauge")
want(V("irqtrail_events_lost_total") == [0], "lost %s" % V("irqtrail_events_lost_total"))
want(V("irqtrail_rule_evaluating", rule="IRT011") == [1], "IRT011 evaluating")
want(V("irqtrail_rule_evaluating", rule="IRT016") == [0], "IRT016 must be inactive without --full")
if not os.path.exists("/sys/kernel/debug/iommu") and not os.path.exists("/sys/bus/event_source/devices/kprobe"):
    want(V("irqtrail_rule_evaluating", rule="IRT001") == [0], "IRT001 evaluating without IRTE visibility")
# one series per route of this VM (the GSI and the signalled message), not per event
series = sorted((l["gsi"], l["msi"]) for n, l, v in fams["irqtrail_guest_injections_total"]["samples"]
                if l.get("vm_pid") == str(pid))
want(series == [("", "0xfee00000/0x41"), ("60", "")], "series for pid %d: %s" % (pid, series))
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
print("ok: %d injections, IRT011 raised for pid %d" % (fired, pid))
PY

# 10,000 requests, 4 clients at once, keep-alive; every one a full page
python3 - "$port" <<'PY' || exit 1
import http.client, sys, threading, time
port = int(sys.argv[1])
N, T = 10000, 4
bad = []
def client(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(n):
        try:
            c.request("GET", "/metrics" if i % 10 else "/")
            r = c.getresponse()
            body = r.read()
            if r.status != 200 or (i % 10 and not body.startswith(b"# HELP irqtrail_info")):
                bad.append((r.status, body[:60]))
        except Exception as e:
            bad.append(repr(e))
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.close()
t0 = time.time()
ts = [threading.Thread(target=client, args=(N // T,)) for _ in range(T)]
[t.start() for t in ts]
[t.join() for t in ts]
if bad:
    sys.exit("%d of %d requests failed: %s" % (len(bad), N, bad[:5]))
print("ok: %d requests in %.1f s" % (N, time.time() - t0))
PY

# malformed and hostile requests; after each one a normal scrape must work
python3 - "$port" <<'PY' || exit 1
import http.client, socket, sys, time
port = int(sys.argv[1])
def raw(payload, read=True, half=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if payload:
            s.sendall(payload)
        if half:
            return b""
        data = b""
        if read:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass	# the server closed first
            while True:
                try:
                    chunk = s.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        return data
    except OSError:
        return b"<closed by the server>"
    finally:
        s.close()
def healthy(what):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200 or b"irqtrail_alerts_total" not in body:
        sys.exit("after %s: status %d" % (what, r.status))
cases = {
    "garbage": b"GARBAGE\r\n\r\n",
    "no version": b"GET /metrics\r\n\r\n",
    "bad version": b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
    "binary": bytes(range(256)) * 64,
    "huge header": b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200000 + b"\r\n\r\n",
    "huge url": b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "many headers": b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-B: b\r\n" * 5000 + b"\r\n",
    "negative length": b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "bad chunked": b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    "body cut": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000,
    "nul in path": b"GET /met\x00rics HTTP/1.1\r\nHost: x\r\n\r\n",
    "only CRs": b"\r\n" * 1000,
    "empty": b"",
}
for what, p in cases.items():
    resp = raw(p)
    print("%-16s -> %s" % (what, resp.split(b"\r\n", 1)[0][:60]))
    healthy(what)
# half-sent requests left open, more than the connection limit, then closed
socks = []
for i in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHo")
        socks.append(s)
    except OSError:
        break
print("held %d half-open connections" % len(socks))
for s in socks:
    s.close()
time.sleep(0.5)
healthy("half-open connections")
# methods and paths
for method, path, want in (("DELETE", "/metrics", 405), ("POST", "/metrics", 405), ("HEAD", "/metrics", 200),
                           ("GET", "/nope", 404), ("GET", "/", 200)):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, path, body=b"x" * 10 if method == "POST" else None)
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != want:
        sys.exit("%s %s: %d, want %d" % (method, path, r.status, want))
print("ok: malformed requests survived")
PY

kill -0 "$srv" 2>/dev/null || fail "serve died"
curl -sf "$url" > "$W/m3.txt" || fail "scrape after the load failed"
python3 "$RULES_DIR/promparse.py" "$W/m3.txt" || fail "m3: invalid exposition format"
sleep 0.6
curl -sf "$url" > "$W/m4.txt" || fail "scrape failed"
python3 - "$W/m4.txt" "$RULES_DIR" <<'PY' || exit 1
import sys
sys.path.insert(0, sys.argv[2])
import promparse
f = promparse.parse(open(sys.argv[1]).read())
ok = promparse.values(f, "irqtrail_http_requests_total", code="200")
if not ok or ok[0] < 10000:
    sys.exit("requests counter %s, want >= 10000" % ok)
print("ok: http_requests_total{code=200} = %d" % ok[0])
PY
kill -TERM "$srv"
wait "$srv"
rc=$?
CLEANUP_PIDS=()
[ "$rc" = 0 ] || fail "serve exit $rc after SIGTERM: $(tail -n 3 "$W/serve.err")"

# SPDX-License-Identifier: GPL-2.0-only
# What the lab checkers (tests/lab/check.py, arm64/check.py, vmm/check_vmm.py)
# share: one line per assertion ("ok NAME - DETAIL" / "FAIL NAME - DETAIL"),
# "PROVEN NAME: EVENT" lines quoting the event that proves a hook, and the
# files the guest left in its output directory.
import json
import os


class Lab:
    def __init__(self, out):
        self.out = out
        self.failures = 0

    def ok(self, name, detail=""):
        print("ok %s - %s" % (name, detail))

    def fail(self, name, detail=""):
        self.failures += 1
        print("FAIL %s - %s" % (name, detail))

    def check(self, cond, name, detail=""):
        (self.ok if cond else self.fail)(name, detail)
        return cond

    def proven(self, name, ev):
        line = json.dumps(ev, separators=(",", ":")) if isinstance(ev, (dict, list)) else str(ev)
        print("PROVEN %s: %s" % (name, line[:400]))

    def path(self, name):
        return os.path.join(self.out, name)

    def read(self, name, default=""):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()
        except OSError:
            return default

    def marks(self):
        """marks.txt: "NAME SECONDS" lines the guest wrote at each phase."""
        m = {}
        for line in self.read("marks.txt").splitlines():
            k, _, v = line.partition(" ")
            m[k] = float(v)
        return m

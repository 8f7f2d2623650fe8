#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A strict reader of the Prometheus text exposition format (0.0.4).

Used by the serve tests to validate /metrics whether or not promtool is
installed, and to look values up.  It rejects: lines without a final
newline, malformed names, labels or escapes, values that are not numbers,
samples of a family with no TYPE before them, a TYPE or HELP given twice,
families split in two, duplicate series, duplicate label names, negative
counters, and histograms whose buckets are not cumulative or whose +Inf
bucket differs from _count.

    promparse.py FILE            validate, print a summary, exit 1 on error
    promparse.py --self-test     check the checker on good and bad inputs
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LNAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(Exception):
    pass


def _value(s, where):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(s.replace("Inf", "inf"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ExpositionError("%s: value %r is not a number" % (where, s))
    return float(s)


def _labels(s, i, where):
    """Parse {a="x",b="y"} starting at s[i] == '{'; return (dict, next index)."""
    out = {}
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return out, i + 1
        m = LNAME.match(s, i)
        if not m:
            raise ExpositionError("%s: bad label name at column %d" % (where, i + 1))
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ExpositionError("%s: expected =\" after label %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ExpositionError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    raise ExpositionError("%s: bad escape in label %s" % (where, name))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise ExpositionError("%s: newline in label value" % where)
            val.append(c)
            i += 1
        if name in out:
            raise ExpositionError("%s: label %s twice" % (where, name))
        out[name] = "".join(val)
        if i < len(s) and s[i] == ",":
            i += 1
            continue
        if i < len(s) and s[i] == "}":
            return out, i + 1
        raise ExpositionError("%s: expected , or } after label %s" % (where, name))


def _family_of(name, types):
    if name in types:
        return name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) in ("histogram", "summary"):
            if suf == "_bucket" and types[name[: -len(suf)]] != "histogram":
                continue
            return name[: -len(suf)]
    return None


def parse(text):
    """Return {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the last line has no newline")
    fams, types, seen_series, order = {}, {}, set(), []
    for no, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        where = "line %d" % no
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ExpositionError("%s: bad metric name %r" % (where, name))
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if f["samples"]:
                    raise ExpositionError("%s: %s for %s after its samples" % (where, parts[1], name))
                if parts[1] == "TYPE":
                    t = parts[3].strip() if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise ExpositionError("%s: unknown type %r" % (where, t))
                    if f["type"]:
                        raise ExpositionError("%s: second TYPE for %s" % (where, name))
                    f["type"] = types[name] = t
                else:
                    if f["help"] is not None:
                        raise ExpositionError("%s: second HELP for %s" % (where, name))
                    f["help"] = parts[3] if len(parts) > 3 else ""
            continue
        m = NAME.match(line)
        if not m:
            raise ExpositionError("%s: bad metric name" % where)
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = _labels(line, i, where)
        rest = line[i:]
        if not rest.startswith(" "):
            raise ExpositionError("%s: expected a space before the value" % where)
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise ExpositionError("%s: expected a value and an optional timestamp" % where)
        value = _value(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ExpositionError("%s: bad timestamp %r" % (where, fields[1]))
        fam = _family_of(name, types)
        if fam is None:
            raise ExpositionError("%s: sample %s has no TYPE before it" % (where, name))
        if order and order[-1] != fam:
            if fam in order:
                raise ExpositionError("%s: family %s is split in two" % (where, fam))
        if not order or order[-1] != fam:
            order.append(fam)
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ExpositionError("%s: duplicate series %s%s" % (where, name, labels))
        seen_series.add(key)
        if types[fam] == "counter" and (value < 0 or math.isnan(value)):
            raise ExpositionError("%s: counter %s is %s" % (where, name, value))
        fams[fam]["samples"].append((name, labels, value))
    for fam, f in fams.items():
        if f["type"] == "histogram":
            _check_histogram(fam, f["samples"])
    return fams


def _check_histogram(fam, samples):
    groups = {}
    for name, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            if "le" not in labels:
                raise ExpositionError("%s: bucket without le" % fam)
            g["buckets"].append((_value(labels["le"], fam + " le"), value))
        elif name == fam + "_sum":
            g["sum"] = value
        elif name == fam + "_count":
            g["count"] = value
        else:
            raise ExpositionError("%s: stray sample %s" % (fam, name))
    for base, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ExpositionError("%s%s: no +Inf bucket (last)" % (fam, dict(base)))
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if le2 <= le1:
                raise ExpositionError("%s%s: le not increasing" % (fam, dict(base)))
            if c2 < c1:
                raise ExpositionError("%s%s: buckets not cumulative" % (fam, dict(base)))
        if g["count"] is None or g["sum"] is None:
            raise ExpositionError("%s%s: _sum or _count missing" % (fam, dict(base)))
        if g["count"] != b[-1][1]:
            raise ExpositionError("%s%s: _count %s != +Inf bucket %s" % (fam, dict(base), g["count"], b[-1][1]))


def values(fams, name, **want):
    """Values of the samples named name whose labels include want."""
    out = []
    for f in fams.values():
        for n, labels, v in f["samples"]:
            if n == name and all(labels.get(k) == str(x) for k, x in want.items()):
                out.append(v)
    return out


GOOD = """# HELP a_total A counter.
# TYPE a_total counter
a_total{x="1",y="q\\"uote\\\\ \\n"} 3
a_total{x="2"} 0
# TYPE g gauge
g -1.5e3
g{l="v"} NaN
# HELP h Histogram.
# TYPE h histogram
h_bucket{k="a",le="0.1"} 1
h_bucket{k="a",le="1"} 3
h_bucket{k="a",le="+Inf"} 4
h_sum{k="a"} 2.5
h_count{k="a"} 4
"""

BAD = {
    "no final newline": "# TYPE g gauge\ng 1",
    "no TYPE": "g 1\n",
    "bad value": "# TYPE g gauge\ng one\n",
    "bad name": "# TYPE g gauge\n9g 1\n",
    "bad escape": '# TYPE g gauge\ng{a="\\x"} 1\n',
    "unterminated label": '# TYPE g gauge\ng{a="x} 1\n',
    "duplicate series": '# TYPE g gauge\ng{a="x"} 1\ng{a="x"} 2\n',
    "duplicate label": '# TYPE g gauge\ng{a="x",a="y"} 1\n',
    "second TYPE": "# TYPE g gauge\n# TYPE g counter\n",
    "unknown type": "# TYPE g meter\n",
    "negative counter": "# TYPE c_total counter\nc_total -1\n",
    "split family": "# TYPE g gauge\n# TYPE k gauge\ng 1\nk 1\ng{a=\"b\"} 1\n",
    "not cumulative": "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n",
    "count mismatch": "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 5\n",
    "no +Inf": "# TYPE h histogram\nh_bucket{le=\"1\"} 4\nh_sum 1\nh_count 4\n",
    "missing space": "# TYPE g gauge\ng{a=\"b\"}1\n",
    "HELP after samples": "# TYPE g gauge\ng 1\n# HELP g late\n",
}


def self_test():
    fams = parse(GOOD)
    assert values(fams, "a_total", x=1) == [3.0], values(fams, "a_total", x=1)
    assert fams["a_total"]["samples"][0][1]["y"] == 'q"uote\\ \n'
    assert values(fams, "h_count", k="a") == [4.0]
    assert math.isnan(values(fams, "g", l="v")[0])
    for what, text in BAD.items():
        try:
            parse(text)
        except ExpositionError as e:
            print("rejected (%s): %s" % (what, e))
            continue
        raise SystemExit("accepted a bad exposition: %s" % what)
    print("self-test ok: 1 good input accepted, %d bad inputs rejected" % len(BAD))


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        text = fh.read()
    try:
        fams = parse(text)
    except ExpositionError as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    n = sum(len(f["samples"]) for f in fams.values())
    print("%s: valid exposition, %d families, %d samples" % (argv[1], len(fams), n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Result model shared by the benchmark sections (tests/bench/run.py).

A section is a list of rows. A row is one measured figure; when it is a
speed claim it carries the named peer it was measured against in the same
run and the ratio, and optionally a target with its verdict (OK or MISS).
A missed target is reported, never raised: benchmarks do not fail.
"""
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "out", "bench")
PYTHON = "/usr/bin/python3"


class Skip(Exception):
    """Raised by a section that cannot run here; str() is the reason."""


class Row:
    def __init__(self, metric, value, unit="", peer=None, peer_value=None,
                 ratio=None, ratio_text=None, target=None, met=None,
                 note=None):
        self.metric = metric
        self.value = value
        self.unit = unit
        self.peer = peer
        self.peer_value = peer_value
        self.ratio = ratio
        self.ratio_text = ratio_text
        self.target = target
        self.met = met
        self.note = note

    @property
    def verdict(self):
        if self.met is None:
            return "-"
        return "OK" if self.met else "MISS"

    def as_dict(self):
        d = {"metric": self.metric, "value": self.value, "unit": self.unit}
        for k in ("peer", "peer_value", "ratio", "target", "note"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        if self.ratio_text:
            d["ratio_text"] = self.ratio_text
        d["verdict"] = self.verdict
        return d


class Section:
    def __init__(self, key, title):
        self.key = key
        self.title = title
        self.rows = []
        self.notes = []
        self.data = {}
        self.status = "ok"
        self.reason = None
        self.seconds = None

    def row(self, *a, **kw):
        r = Row(*a, **kw)
        self.rows.append(r)
        return r

    def note(self, text):
        self.notes.append(text)

    def skip(self, reason):
        self.status = "skipped"
        self.reason = reason

    def fail(self, reason):
        self.status = "error"
        self.reason = reason

    def as_dict(self):
        d = {"title": self.title, "status": self.status}
        if self.reason:
            d["reason"] = self.reason
        d["rows"] = [r.as_dict() for r in self.rows]
        d["notes"] = self.notes
        d["data"] = self.data
        if self.seconds is not None:
            d["wall_seconds"] = round(self.seconds, 1)
        return d


# -- number formatting ------------------------------------------------------

def si(v, unit=""):
    """12345678 -> '12.3 M'; keeps 3 significant digits."""
    if v is None:
        return "n/a"
    a = abs(v)
    for div, pre in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return "%.3g%s %s" % (v / div, pre, unit)
    return "%.3g %s" % (v, unit) if unit else "%.3g" % v


def fmt_value(v, unit):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if unit in ("records/s", "B/s", "bytes/s"):
        return si(v, unit)
    if isinstance(v, float):
        s = "%.3g" % v if abs(v) < 1000 else "%.0f" % v
    else:
        s = str(v)
    return "%s %s" % (s, unit) if unit else s


def ratio_str(r):
    if r is None:
        return "n/a"
    if r >= 100:
        return "%.0fx" % r
    if r >= 10:
        return "%.1fx" % r
    return "%.2fx" % r


# -- timing helpers ---------------------------------------------------------

def best_of(fn, runs):
    """Minimum wall time of fn() over runs calls (perf_counter)."""
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = dt if best is None or dt < best else best
    return best


def time_cmd(argv, runs=3, stdout=subprocess.DEVNULL, timeout=600, **kw):
    """Best wall time of a host command over runs; CalledProcessError on a
    non-zero exit."""
    def once():
        subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE,
                       check=True, timeout=timeout, **kw)
    return best_of(once, runs)


def gdb_result(vm, commands, tag, timeout=1800):
    """Run gdb commands against vm; the JSON a script printed on its
    "TAG {...}" line."""
    import json
    import re
    from tests.harness import gdb as hgdb
    out = hgdb.run(vm, commands, timeout=timeout)
    m = re.search(r"^%s (\{.*\})$" % tag, out, re.M)
    if not m:
        raise RuntimeError("%s: no result line: %s" % (tag, out[-1500:]))
    return json.loads(m.group(1))


def render(sections, out):
    """Print every section as a table: metric, value, peer, ratio, target,
    verdict; then the section's notes."""
    for s in sections:
        out("")
        head = "== %s: %s" % (s.key, s.title)
        if s.seconds is not None:
            head += "  (%.0f s)" % s.seconds
        out(head)
        if s.status != "ok":
            out("   %s: %s" % ("skipped" if s.status == "skipped" else "ERROR",
                              s.reason))
        if s.rows:
            cells = [("metric", "value", "peer (same run)", "ratio", "target",
                      "verdict")]
            for r in s.rows:
                peer = r.peer or "-"
                if r.peer_value is not None and r.peer:
                    peer = "%s = %s" % (r.peer, fmt_value(r.peer_value, r.unit))
                ratio = r.ratio_text or (ratio_str(r.ratio)
                                         if r.ratio is not None else "-")
                cells.append((r.metric, fmt_value(r.value, r.unit), peer,
                              ratio, r.target or "-", r.verdict))
            widths = [max(len(c[i]) for c in cells) for i in range(6)]
            for n, c in enumerate(cells):
                line = "   " + "  ".join(
                    (c[i].rjust(widths[i]) if i in (1, 3) else
                     c[i].ljust(widths[i])) for i in range(6))
                out(line.rstrip())
                if n == 0:
                    out("   " + "  ".join("-" * w for w in widths))
        for r in s.rows:
            if r.note:
                out("   - %s: %s" % (r.metric, r.note))
        for n in s.notes:
            out("   * " + n)


def pin_kernel(k, workdir=None):
    """A private copy of cached kernel k (hard links when possible) under
    out/bench/kernel/NAME, so that a `make kernel` storing the same name
    meanwhile cannot hand us a bzImage and a vmlinux from different
    builds (it replaces the whole directory: old inodes stay ours)."""
    import shutil
    from tests.harness import kernels
    dest = os.path.join(workdir or OUT, "kernel", os.path.basename(k.path))
    # The boot image is named per architecture (kernels.IMAGES), apart.
    files = list(kernels.FILES) + ["config", os.path.basename(k.image)]
    for _ in range(5):
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        try:
            before = [os.stat(os.path.join(k.path, f)) for f in files]
            for f in files:
                src, dst = os.path.join(k.path, f), os.path.join(dest, f)
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)
            after = [os.stat(os.path.join(k.path, f)) for f in files]
        except FileNotFoundError:      # caught between rm and mv
            time.sleep(1)
            continue
        if [(b.st_ino, b.st_mtime_ns) for b in before] == \
                [(a.st_ino, a.st_mtime_ns) for a in after]:
            return kernels.Kernel(dest)
        time.sleep(1)
    raise RuntimeError("kernel %s keeps changing under %s"
                       % (k.name, k.path))


def fixture_kernel(name=None, workdir=None):
    """(Kernel, None) for the kernel to boot, or (None, why not).

    name: a cached kernel to use; default the first one whose info.json
    says fixture (and recorder) are built in. The Kernel returned is a
    pinned copy (pin_kernel).
    """
    k, why = _find_fixture_kernel(name)
    return (pin_kernel(k, workdir), None) if k else (None, why)


def _find_fixture_kernel(name=None):
    import sys
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tests.harness import kernels
    found = kernels.discover()
    if name:
        k = kernels.find(name)
        if k is None:
            return None, "kernel %r not in %s/kernels" % (name,
                                                           kernels.kcache())
        if not k.fixture:
            return None, "kernel %s has no fixture (info.json)" % k.name
        return k, None
    for k in found:
        if k.fixture and k.recorder:
            return k, None
    what = ", ".join("%s (fixture=%s)" % (k.name, str(k.fixture).lower())
                     for k in found) or "none"
    building = []
    bdir = os.path.join(kernels.kcache(), "build")
    if os.path.isdir(bdir):
        building = sorted(n for n in os.listdir(bdir)
                          if not os.path.isdir(os.path.join(
                              kernels.kcache(), "kernels", n)))
    why = "no cached kernel with the test fixture (cached: %s)" % what
    if building:
        why += "; not stored (yet): build/%s" % ", build/".join(building)
    return None, why + "; make kernel KSRC=<Dovetail tree> builds one"

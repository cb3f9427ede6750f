"""KernelShark draws our trace.dat: a screenshot under Xvfb.

KernelShark 2.x has no batch mode, so the check is a picture: the
export is opened in a virtual X server, the screen is grabbed with xwd
and read here (XWD is a plain header plus rows of pixels). What is
checked: KernelShark said it loaded the file and nothing else, its
window is up, and the CPU graphs are drawn with the per-task colours a
trace of many tasks gives, against the same window on a trace of one
task. Skips, with the reason, where KernelShark, Xvfb or xwd are
missing (make setup installs them).
"""
import os
import shutil
import struct
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "tools", "dovetail-trace")
GEN = os.path.join(ROOT, "tools", "dtrec-gen")
NEEDED = {"kernelshark": "kernelshark", "Xvfb": "xvfb", "xwd": "x11-apps"}
MISSING = [pkg for tool, pkg in NEEDED.items() if not shutil.which(tool)]

pytestmark = pytest.mark.skipif(bool(MISSING), reason="not installed: %s (apt install %s)"
                                % (", ".join(MISSING), " ".join(MISSING)))


def read_xwd(path):
    """(width, height, rows of (r, g, b) tuples) of a 24/32-bit ZPixmap XWD."""
    d = open(path, "rb").read()
    h = struct.unpack(">25I", d[:100])
    size, fmt, depth, w, ht, byte_order, bpl, ncolors = \
        h[0], h[2], h[3], h[4], h[5], h[7], h[12], h[19]
    assert fmt == 2 and depth == 24 and bpl >= 4 * w, h[:13]
    px = d[size + 12 * ncolors:]
    assert len(px) >= bpl * ht
    rows = []
    for y in range(ht):
        row = px[y * bpl:y * bpl + 4 * w]
        if byte_order == 0:     # LSBFirst: B G R X
            rows.append([(row[i + 2], row[i + 1], row[i]) for i in range(0, 4 * w, 4)])
        else:
            rows.append([(row[i + 1], row[i + 2], row[i + 3]) for i in range(0, 4 * w, 4)])
    return w, ht, rows


def screenshot(tmp_path, dat, name):
    """KernelShark on dat in a fresh Xvfb; returns (its output, the screen)."""
    cache = tmp_path / (name + "-cache")
    cache.mkdir()
    # As root KernelShark opens a warning dialog first; its own setting
    # turns that off (CI runs as root).
    (cache / "setting.ini").write_text("[General]\nnoRootWarn=true\n")
    run = tmp_path / (name + "-run")
    run.mkdir(mode=0o700)
    xwd = tmp_path / (name + ".xwd")
    env = dict(os.environ, KS_USER_CACHE_DIR=str(cache), XDG_RUNTIME_DIR=str(run),
               QT_QPA_PLATFORM="xcb")
    disp = ":%d" % (90 + os.getpid() % 800)
    xvfb = subprocess.Popen(["Xvfb", disp, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ks = None
    try:
        env["DISPLAY"] = disp
        time.sleep(1)
        ks = subprocess.Popen(["kernelshark", str(dat)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        # Loading and drawing: poll the screen until the window is up
        # and stops changing (TCG-free, but CI machines are slow).
        last = None
        for _ in range(60):
            time.sleep(1)
            subprocess.run(["xwd", "-root", "-silent", "-out", str(xwd)], env=env,
                           check=True)
            cur = xwd.read_bytes()
            if cur == last and window_box(read_xwd(str(xwd))[2]):
                break
            last = cur
        ks.terminate()
        out, _ = ks.communicate(timeout=20)
    finally:
        if ks and ks.poll() is None:
            ks.kill()
        xvfb.terminate()
        xvfb.wait(timeout=20)
    return out, read_xwd(str(xwd))


def window_box(rows):
    """Bounding box of what is not the black root window, or None."""
    ys = [y for y, r in enumerate(rows) if any(p != (0, 0, 0) for p in r)]
    if not ys:
        return None
    xs = [x for y in ys for x, p in enumerate(rows[y]) if p != (0, 0, 0)]
    return min(xs), ys[0], max(xs), ys[-1]


def bar_colours(rows, box, run=15):
    """Saturated colours standing in vertical runs of run pixels or more:
    the CPU graphs' task bars (text, even its colour fringes, is shorter
    than a bar; grey widgets are not saturated)."""
    x0, y0, x1, y1 = box
    seen = set()
    for x in range(x0, x1):
        n, prev = 0, None
        for y in range(y0, y1):
            p = rows[y][x]
            n = n + 1 if p == prev else 1
            prev = p
            if n >= run and max(p) - min(p) > 120:
                seen.add(p)
    return seen


def export(tmp_path, name, *gen_args):
    snap = tmp_path / (name + ".snap")
    with open(snap, "wb") as f:
        subprocess.run([GEN, "--names"] + list(gen_args), stdout=f, check=True)
    dat = tmp_path / (name + ".dat")
    subprocess.run([CLI, "export", "--format", "tracedat", "-o", str(dat), str(snap)],
                   check=True)
    return dat


def test_kernelshark_draws_the_cpu_graphs(tmp_path):
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "tools")], check=True)
    many = export(tmp_path, "many", "--cpus", "2", "--records", "512", "--events", "900",
                  "--shape", "pids", "--seed", "5")
    one = export(tmp_path, "one", "--cpus", "1", "--records", "4", "--events", "2")
    results = {}
    for name, dat in (("many", many), ("one", one)):
        out, (w, h, rows) = screenshot(tmp_path, dat, name)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        # Its only words: the file it loaded (plugins for other kinds of
        # trace, e.g. kvm_combo, may decline the stream).
        assert lines and lines[0] == 'Loading  "%s"' % dat, out
        assert all("Loading" in ln or "failed to initialize" in ln for ln in lines), out
        box = window_box(rows)
        assert box, "nothing drawn on the screen"
        x0, y0, x1, y1 = box
        assert x1 - x0 > 300 and y1 - y0 > 300, box
        results[name] = len(bar_colours(rows, box))
    # One colour per task in the CPU graphs: a trace of a few tasks
    # paints a few, one of hundreds of tasks paints hundreds.
    assert results["one"] <= 8 and results["many"] >= 100, results

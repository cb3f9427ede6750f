"""Sections 4 and 5: the front ends on a big recorder, one guest boot.

The fixture kernel boots with a large recorder (`dovetail_recorder=N`
records per CPU), `events` fills every CPU's ring (pinned with taskset),
the recorder is frozen and an ELF dump is taken. Then, on the host:

- vmcore: drgn (drgn-scripts/dovetail.py) and crash (crash-ext
  dovetail.so) decode and merge every record of the dump: `stats --json`
  (read rings + decode + merge + count) and `trace --json` (the same plus
  formatting every record). Times are taken inside each tool's session
  (drgn: time.perf_counter() in tests/bench/drgn_bench.py; crash: `!date`
  stamps between commands, minus the cost of a stamp pair), so session
  start-up is excluded; it is reported apart. Each figure is records/s
  and a ratio against the libdtrec figure of section "lib".
- gdb: on the live guest (same boot, stopped under gdb), the rate at
  which `dt-trace --json` reads the rings through the gdbstub, against a
  raw read_memory() of the same regions in the same session
  (tests/bench/gdb_bench.py).

The QEMU guest is stopped before drgn and crash run, so that the
emulator does not compete with them for host CPUs.
"""
import json
import math
import os
import re
import shutil
import subprocess
import time

from .common import OUT, PYTHON, ROOT, Skip, fixture_kernel, gdb_result

SECTIONS = [("vmcore", "Front ends on a recorder vmcore (host wall time)"),
            ("gdb", "gdb dt-trace over the QEMU gdbstub (host wall time)")]

CTL = "/sys/kernel/debug/dovetail/fixture/ctl"
FREEZE = "/sys/kernel/debug/dovetail/recorder/freeze"
REC_RE = re.compile(r"dovetail recorder: (\d+) records x (\d+) CPUs")
RECORD = 32                 # sizeof(struct dtrec_record)
RECS_PER_ITER = 12          # fixture `events`: records per iteration, about
# The recorder allocates each ring with alloc_pages(): one ring cannot be
# larger than 2^MAX_ORDER pages (4 MiB on x86_64 6.6), i.e. 65536 records
# with the ring header.
MAX_PAGE_RING = 65536
TARGET_RECORDS = 1 << 20
GDB_TARGET = 0.80
CRASH_SO = os.path.join(ROOT, "crash-ext", "dovetail.so")
GDB_SCRIPT = os.path.join(ROOT, "gdb-scripts", "dovetail.py")
HERE = os.path.dirname(os.path.abspath(__file__))


def _boot(stack, k, records, smp, mem):
    from tests.harness import VM
    vm = stack.enter_context(VM(k, kaslr=False, smp=smp, mem=mem,
                                append="dovetail_recorder=%d" % records))
    lines = vm.check("dmesg | grep 'dovetail recorder' || true")
    m = REC_RE.search(lines)
    return vm, m, lines


def _records_per_cpu(k, want, smp, mem, notes):
    """Boot with `want` records per CPU; if the kernel cannot allocate
    rings that big, boot again with the largest ring it can. Returns
    (vm, stack, records per CPU, CPUs)."""
    from contextlib import ExitStack
    stack = ExitStack()
    vm, m, lines = _boot(stack, k, want, smp, mem)
    if m:
        return vm, stack, int(m.group(1)), int(m.group(2))
    why = re.search(r"dovetail recorder: [^\n]*", lines)
    stack.close()
    notes.append("dovetail_recorder=%d: the recorder did not start (%s): "
                 "a ring of %d MiB is beyond one page allocation "
                 "(alloc_pages, 2^MAX_ORDER pages = 4 MiB on x86_64 6.6); "
                 "booted again with %d records per CPU"
                 % (want, why.group(0) if why else "no recorder line",
                    want * RECORD >> 20, MAX_PAGE_RING))
    stack = ExitStack()
    vm, m, lines = _boot(stack, k, MAX_PAGE_RING, smp, mem)
    if not m:
        stack.close()
        raise RuntimeError("recorder did not start with %d records: %s"
                           % (MAX_PAGE_RING, lines.strip()[-300:]))
    return vm, stack, int(m.group(1)), int(m.group(2))


def _fill(vm, records, cpus):
    n = math.ceil(records * 1.25 / RECS_PER_ITER)
    for cpu in range(cpus):
        vm.check("taskset -c %d sh -c 'echo \"events %d\" > %s'"
                 % (cpu, n, CTL), timeout=900)
    vm.check("echo 1 > %s" % FREEZE)
    return n


# -- gdb --------------------------------------------------------------------

def _gdb(vm, reps):
    return gdb_result(vm, ["source " + GDB_SCRIPT,
                           "python dtbench_reps = %d" % reps,
                           "source " + os.path.join(HERE, "gdb_bench.py")],
                      "DTBENCH-GDB")


def _gdb_rows(s, g, lib_rps):
    b = g["bytes"]
    ring = min(t["ring_read_s"] for t in g["trace"])
    total = min(t["total_s"] for t in g["trace"])
    raw = min(g["raw"])
    dump = min(g["dump"])
    s.data.update(g)
    peer = "read_memory(), same %d region(s), one call each" % len(g["regions"])
    s.row("dt-trace --json: its ring reads", b / ring, "B/s", peer=peer,
          peer_value=b / raw, ratio=raw / ring,
          ratio_text="%.0f%%" % (100 * raw / ring),
          target=">= 80% of raw", met=raw / ring >= GDB_TARGET,
          note="ratio: achieved/raw")
    s.row("dump binary memory, same regions", b / dump, "B/s", peer=peer,
          peer_value=b / raw, ratio=raw / dump,
          ratio_text="%.0f%%" % (100 * raw / dump))
    s.row("dt-trace --json: whole command", b / total, "B/s", peer=peer,
          peer_value=b / raw, ratio=raw / total,
          ratio_text="%.0f%%" % (100 * raw / total),
          note="ring bytes / command time")
    if g.get("events") and lib_rps:
        s.row("dt-trace --json: whole command", g["events"] / total,
              "records/s", peer="libdtrec (section lib)", peer_value=lib_rps,
              ratio=g["events"] / total / lib_rps)
    s.note("%d ring bytes (%s) for %s records; best of %d runs each, "
           "alternating, timed with time.perf_counter() inside one gdb "
           "session (start-up and symbol loading excluded)"
           % (b, " + ".join(str(n) for n in g["regions"]), g.get("events"),
              len(g["raw"])))
    s.note("first dt-trace run (cold type/symbol lookups): %.3f s, of which "
           "ring reads %.3f s" % (g["trace"][0]["total_s"],
                                  g["trace"][0]["ring_read_s"]))


# -- drgn ---------------------------------------------------------------------

def _drgn(k, vmcore, snap, reps):
    argv = [PYTHON, "-m", "drgn", "-q", "-c", vmcore, "-s", k.vmlinux,
            os.path.join(HERE, "drgn_bench.py"), str(reps), snap]
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=3600)
    wall = time.perf_counter() - t
    m = re.search(r"^DTBENCH-DRGN (\{.*\})$", p.stdout, re.M)
    if p.returncode or not m:
        raise RuntimeError("drgn_bench failed (%d): %s" % (
            p.returncode, (p.stderr or p.stdout)[-1500:]))
    res = json.loads(m.group(1))
    res["wall_s"] = wall
    return res


# -- crash --------------------------------------------------------------------

def _crash(k, vmcore, reps, work):
    """crash-ext has no stats subcommand: `trace --json --last 1` decodes
    and merges every record and prints one, `trace --json` prints all."""
    full = os.path.join(work, "crash-trace.json")
    lines = ["set scroll off", "extend " + CRASH_SO]
    for i in range(reps):
        lines += ["!date +DTT-a%d-%%s.%%N" % i, "!date +DTT-b%d-%%s.%%N" % i,
                  "dovetail trace --json --last 1 > /dev/null",
                  "!date +DTT-s%d-%%s.%%N" % i,
                  "dovetail trace --json > /dev/null",
                  "!date +DTT-t%d-%%s.%%N" % i]
    lines += ["dovetail trace --json > " + full, "exit"]
    t0 = time.time()
    p = subprocess.run(["crash", "--minimal", "--kaslr=auto", "-s",
                        k.vmlinux, vmcore], input="\n".join(lines) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=3600)
    wall = time.time() - t0
    errs = [ln for ln in p.stdout.splitlines() if ln.startswith("dovetail:")]
    if errs:
        raise RuntimeError("crash: %s" % errs[0])
    st = {m.group(1): float(m.group(2))
          for m in re.finditer(r"DTT-(\w+)-(\d+\.\d+)", p.stdout)}
    if len(st) != 4 * reps or not os.path.exists(full):
        raise RuntimeError("crash session incomplete: %s" % p.stdout[-1500:])
    with open(full) as f:
        events = len(json.load(f)["events"])
    os.unlink(full)
    res = {"wall_s": wall, "startup_s": st["a0"] - t0, "events": events,
           "stamp_s": [], "last1_s": [], "trace_s": []}
    for i in range(reps):
        stamp = st["b%d" % i] - st["a%d" % i]
        res["stamp_s"].append(stamp)
        res["last1_s"].append(st["s%d" % i] - st["b%d" % i] - stamp)
        res["trace_s"].append(st["t%d" % i] - st["s%d" % i] - stamp)
    return res


def _vmcore_rows(s, d, c, lib_rps, vm_rps, records, notes):
    peer = "libdtrec (section lib)"
    if not lib_rps:
        peer, lib_rps = "libdtrec on this snapshot", vm_rps

    def row(label, secs):
        rps = records / secs
        s.row(label, rps, "records/s", peer=peer, peer_value=lib_rps,
              ratio=rps / lib_rps if lib_rps else None)
    if d:
        for cmd in ("stats --json", "trace --json --last 1", "trace --json"):
            row("drgn: dovetail.py " + cmd,
                min(d["commands"][cmd]["seconds"]))
    if c:
        row("crash: dovetail trace --json --last 1", min(c["last1_s"]))
        row("crash: dovetail trace --json >/dev/null", min(c["trace_s"]))
    for n in notes:
        s.note(n)


def run(ctx, sections):
    k, why = fixture_kernel(ctx.get("kernel"), ctx.get("workdir"))
    if k is None:
        raise Skip(why)
    smp = ctx.get("smp", 2)
    req = ctx.get("records_per_cpu", 524288)
    reps = ctx.get("reps", 5)
    mem = ctx.get("mem", "1024M")
    work = os.path.join(ctx.get("workdir") or OUT, "frontends")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    vmcore = os.path.join(work, "vmcore")
    snap = os.path.join(work, "vmcore.snap")
    notes = []
    s4, s5 = sections.get("vmcore"), sections.get("gdb")
    vm, stack, per_cpu, cpus = _records_per_cpu(k, req, smp, mem, notes)
    with stack:
        iters = _fill(vm, per_cpu, cpus)
        notes.append("kernel %s, %d vCPUs, %d records per CPU; ring filled "
                     "by 'events %d' pinned on each CPU, then frozen"
                     % (k.name, cpus, per_cpu, iters))
        if s4:
            from tests.harness.dump import take
            take(vm, vmcore, "elf")
        g = None
        if s5:
            g = _gdb(vm, reps)
    # The guest is gone: drgn and crash have the host to themselves.
    lib_rps = ctx.get("lib_rps")
    if s5:
        if g.get("events") is not None:
            s5.data["records"] = g["events"]
        _gdb_rows(s5, g, lib_rps)
    if not s4:
        return
    try:
        d = _drgn(k, vmcore, snap, reps)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        d = None
        s4.note("drgn: %s" % e)
    c = None
    if not shutil.which("crash"):
        s4.note("crash: not installed")
    elif not os.path.exists(CRASH_SO):
        s4.note("crash: %s not built (make -C crash-ext)"
                % os.path.relpath(CRASH_SO, ROOT))
    else:
        try:
            c = _crash(k, vmcore, reps, work)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            s4.note("crash: %s" % e)
    if d:
        records = d["commands"]["stats --json"]["stats"]["total"]
    elif c:
        records = c["events"]
    else:
        raise RuntimeError("neither drgn nor crash could read the vmcore")
    if d and c and c["events"] != records:
        s4.note("crash listed %d events, drgn's stats counted %d"
                % (c["events"], records))
    vm_rps = None
    if d and os.path.exists(snap):
        from .bench_lib import _libdtrec, parse_time
        with open(snap, "rb") as f:
            data = f.read()
        vm_rps = records / parse_time(_libdtrec(), data, 5)
    s4.data.update(kernel=k.name, cpus=cpus, records_per_cpu=per_cpu,
                   records=records, vmcore_bytes=os.path.getsize(vmcore),
                   drgn=d, crash=c, libdtrec_same_snapshot_rps=vm_rps)
    s4.row("records decoded from the vmcore", records, "records",
           target=">= 1M records (1048576)", met=records >= TARGET_RECORDS)
    if vm_rps:
        s4.row("libdtrec dtrec_parse, this vmcore's snapshot", vm_rps,
               "records/s", peer="libdtrec (section lib)" if lib_rps else None,
               peer_value=lib_rps,
               ratio=vm_rps / lib_rps if lib_rps else None)
    _vmcore_rows(s4, d, c, lib_rps, vm_rps, records, notes)
    if d:
        s4.note("drgn: session start-up %.1f s (process start to script, "
                "excluded); whole process %.1f s; times inside the session "
                "with time.perf_counter(), best of %d"
                % (d["startup_s"], d["wall_s"], reps))
        s4.note("drgn: snapshot (read %d CPU rings from the dump, assemble) "
                "%.3f s; first (cold) runs: stats %.2f s, trace --last 1 "
                "%.2f s, trace %.2f s"
                % (cpus, d["commands"]["snapshot"]["seconds"][0],
                   d["commands"]["stats --json"]["seconds"][0],
                   d["commands"]["trace --json --last 1"]["seconds"][0],
                   d["commands"]["trace --json"]["seconds"][0]))
    if c:
        s4.note("crash: session start-up %.1f s (launch to first stamp, "
                "extend included, excluded); whole process %.1f s; times "
                "between '!date' stamps minus one stamp pair (%.1f ms), "
                "best of %d" % (c["startup_s"], c["wall_s"],
                                1000 * min(c["stamp_s"]), reps))
        s4.note("crash: first (cold) runs: trace --last 1 %.2f s, trace "
                "%.2f s; crash-ext has no stats subcommand, so `trace --json "
                "--last 1` stands for decode+merge without formatting"
                % (c["last1_s"][0], c["trace_s"][0]))
    if not ctx.get("keep"):
        for p in (vmcore, snap):
            if os.path.exists(p):
                os.chmod(p, 0o600)
                os.unlink(p)

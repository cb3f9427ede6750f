"""Section 3: the recorder against its peers inside the fixture kernel (QEMU).

`echo "bench N" > dovetail/fixture/ctl` times, on one CPU with hard IRQs
off, chunks of 1000 iterations of: an empty loop, dovetail_record() with
worst-case tracking off, the same with it on, dovetail_record() with the
recorder's static key off, trace_printk(), and Dovetail's own
irq_pipeline_entry trace event (include/trace/events/irq.h), which this
section enables through tracefs first, as a user would. It logs the best
chunk of each, in cycles:

    DTFIX-BENCH chunk=1000 empty=E recorder=R recorder_off=O ftrace=F
                recorder_max=M tracepoint=T tracepoint_on=1

(a kernel built before worst-case capture prints the first five only).
Only ratios within one run are reported: per-event cycles (the empty loop
subtracted), each peer against the recorder, the tracker's added cost,
and the disabled cost against the enabled one.

The guest runs under QEMU's -icount (shift 0 unless ctx["icount"] says
otherwise; None: plain TCG): its TSC then counts emulated instructions,
so a chunk's cycles no longer depend on what the host does meanwhile
(docs/bench.md, "vm"). The kernel's boot-time calibration line is shown
as it is, flagged as emulated.
"""
import re

from .common import Skip, fixture_kernel

SECTIONS = [("vm", "Recorder vs trace_printk and the irq_pipeline_entry "
             "tracepoint in the fixture kernel (QEMU -icount, cycles)")]
CTL = "/sys/kernel/debug/dovetail/fixture/ctl"
BENCH_RE = re.compile(r"DTFIX-BENCH chunk=(\d+) empty=(\d+) recorder=(\d+) "
                      r"recorder_off=(\d+) ftrace=(\d+)"
                      r"(?: recorder_max=(\d+) tracepoint=(\d+) tracepoint_on=(\d))?")
FIELDS = ("chunk", "empty", "recorder", "recorder_off", "ftrace",
          "recorder_max", "tracepoint", "tracepoint_on")
CAL_RE = re.compile(r"dovetail recorder: calibrated minimum event overhead: "
                    r"([0-9.]+) ns \((\d+) cycles\)")
TP = "events/irq/irq_pipeline_entry/enable"
TARGET_RATIO = 10.0


def _enable_tracepoint(vm):
    """irq_pipeline_entry on, through tracefs wherever it is mounted."""
    for root in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        rc, _ = vm.run("test -e %s/%s || mount -t tracefs nodev %s 2>/dev/null; "
                       "echo 1 > %s/%s" % (root, TP, root, root, TP))
        if rc == 0:
            return root
    return None


def _best(runs, i):
    vals = [r[i] for r in runs if r[i] is not None]
    return min(vals) if vals else None


def run(ctx, sections):
    s = sections["vm"]
    k, why = fixture_kernel(ctx.get("kernel"), ctx.get("workdir"))
    if k is None:
        raise Skip(why)
    from tests.harness import VM
    n = ctx.get("bench_n", 100000)
    reps = ctx.get("bench_reps", 5)
    icount = ctx.get("icount", 0)
    s.data.update(kernel=k.name, release=k.release, n=n, runs=reps, icount=icount)
    with VM(k, kaslr=False, smp=2, icount=icount) as vm:
        rc, _ = vm.run("test -w %s" % CTL)
        if rc:
            raise Skip("%s: no %s in the guest" % (k.name, CTL))
        tracefs = _enable_tracepoint(vm)
        for _ in range(reps):
            vm.check('echo "bench %d" > %s' % (n, CTL), timeout=900)
        lines = vm.check("dmesg | grep DTFIX-BENCH")
        cal = CAL_RE.search(vm.check("dmesg | grep 'calibrated minimum' || true"))
    runs = [tuple(None if x is None else int(x) for x in m.groups())
            for m in BENCH_RE.finditer(lines)]
    if not runs:
        raise RuntimeError("no DTFIX-BENCH line in dmesg: %r" % lines[-300:])
    s.data["raw"] = [dict(zip(FIELDS, r)) for r in runs]
    chunk = runs[0][0]
    # Best chunk over every run: the least disturbed window of each loop.
    empty, rec, off, ftr, rmax, tp = (_best(runs, i) for i in (1, 2, 3, 4, 5, 6))
    tp_on = bool(runs[0][7]) if runs[0][7] is not None else None

    def pe(v):
        return None if v is None else (v - empty) / chunk
    rec_pe, off_pe, ftr_pe, max_pe, tp_pe = pe(rec), pe(off), pe(ftr), pe(rmax), pe(tp)
    s.data.update(best=dict(empty=empty, recorder=rec, recorder_off=off,
                            ftrace=ftr, recorder_max=rmax, tracepoint=tp),
                  recorder_cycles_per_event=rec_pe,
                  recorder_max_cycles_per_event=max_pe,
                  recorder_off_cycles_per_call=off_pe,
                  ftrace_cycles_per_event=ftr_pe,
                  tracepoint_cycles_per_event=tp_pe, tracepoint_enabled=tp_on,
                  tracefs=tracefs)
    if ftr == 0:
        s.row("recorder, per event", rec_pe, "cycles",
              peer="trace_printk (kernel has no CONFIG_TRACING)",
              target="ftrace/recorder >= 10x", met=None)
    else:
        ratio = ftr_pe / rec_pe if rec_pe > 0 else None
        s.row("recorder enabled, per event", rec_pe, "cycles",
              peer="trace_printk()", peer_value=ftr_pe, ratio=ratio,
              target="ftrace/recorder >= 10x",
              met=ratio is not None and ratio >= TARGET_RATIO,
              note="ratio: ftrace cycles / recorder cycles")
    if tp_pe is None:
        s.note("no tracepoint figure: kernel %s was built before the fixture "
               "timed irq_pipeline_entry (make kernel)" % k.name)
    else:
        s.row("irq_pipeline_entry tracepoint%s, per event"
              % ("" if tp_on else " (NOT enabled: tracefs not found)"), tp_pe,
              "cycles", peer="recorder enabled", peer_value=rec_pe,
              ratio=tp_pe / rec_pe if rec_pe > 0 else None,
              note="ratio: tracepoint cycles / recorder cycles; enabled "
                   "through %s/%s" % (tracefs, TP) if tp_on else None)
    if max_pe is None:
        s.note("no worst-case tracking figure: kernel %s was built before "
               "worst-case capture (make kernel)" % k.name)
    else:
        ratio = max_pe / rec_pe if rec_pe > 0 else None
        # The budget: worst-case capture must stay cheaper than the one
        # trace event a user would switch on instead.
        s.row("recorder with worst-case tracking, per event", max_pe, "cycles",
              peer="recorder, tracking off", peer_value=rec_pe, ratio=ratio,
              target="< irq_pipeline_entry tracepoint (%s)"
              % ("%.0f cycles" % tp_pe if tp_pe is not None and tp_on else "n/a"),
              met=(max_pe < tp_pe) if tp_pe is not None and tp_on else None,
              note="ratio: with tracking / without, same loop of marks "
                   "(every record a hard-off section's: the tracker's "
                   "busiest case short of a capture)")
    # "Zero cost disabled". Under -icount a cycle is an instruction: the
    # disabled loop is the empty one plus the patched-out branch (one NOP)
    # and one more loop instruction (add+cmp+jne against sub+jne; see
    # docs/bench.md), so 2 per call. Without it, no more than either
    # loop's own spread between runs (one cycle per chunk at the least).
    if icount is not None:
        floor = 2.0
    else:
        floor = max(1, max(r[1] for r in runs) - min(r[1] for r in runs),
                    max(r[3] for r in runs) - min(r[3] for r in runs)) / chunk
    s.data["zero_cost_floor_cycles_per_call"] = floor
    s.row("recorder disabled (static key), per call", off_pe, "cycles",
          peer="recorder enabled", peer_value=rec_pe,
          ratio=off_pe / rec_pe if rec_pe > 0 else None,
          target=("the NOP: <= 2 instructions over the empty loop"
                  if icount is not None else
                  "0 (<= %.3g: run-to-run spread)" % floor),
          met=off_pe <= floor,
          note="ratio: fraction of the enabled cost. The fixture's empty "
               "loop is not the disabled loop minus the call site (other "
               "branches): see docs/bench.md before reading this as the "
               "static key's cost")
    if cal:
        cyc = int(cal.group(2))
        s.data["boot_calibration"] = {"line": cal.group(0), "cycles": cyc}
        s.row("kernel self-calibration at boot", cyc, "cycles",
              peer="this bench, recorder per event", peer_value=rec_pe,
              ratio=cyc / rec_pe if rec_pe > 0 else None)
        s.note("boot line (emulated time, not a measurement of any real "
               "CPU): \"%s\"" % cal.group(0))
    else:
        s.note("no 'calibrated minimum event overhead' line at boot "
               "(recorder off at boot?)")
    s.note("kernel %s; QEMU %s; %d x 'bench %d' (chunks of %d calls, hard "
           "IRQs off, one CPU); best chunk over all runs, empty loop "
           "subtracted; cycles of the emulated TSC: ratios only"
           % (k.name, "-icount shift=%d" % icount if icount is not None
              else "TCG without -icount", len(runs), n, chunk))
    spread = []
    for i, name in ((2, "recorder"), (5, "recorder_max"), (6, "tracepoint")):
        vals = [r[i] for r in runs if r[i] is not None]
        if vals and min(vals) > 0:
            spread.append("%s %.1f%%" % (name, 100.0 * (max(vals) - min(vals)) / min(vals)))
    if spread:
        s.data["spread"] = spread
        s.note("run-to-run spread of the best chunks (max-min)/min: %s"
               % ", ".join(spread))
    for r in runs:
        s.note(" ".join("%s=%s" % (f, v) for f, v in zip(FIELDS, r) if v is not None))

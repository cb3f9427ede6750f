"""Hang report (docs/report.md): the live state read by the stages, irqs
and tasks code, handed with the recorder snapshot to libdtrec's
dtrec_report(). Nothing is judged here, so the gdb, drgn and crash
front ends print the same bytes for the same dump."""
from . import irqs, stages, tasks, trace

HARD_OFF = {"off": True, "on": False, "unknown": None}


def live_state(k, warn):
    """The dtrec_live content (libdtrec.report()'s live argument)."""
    st = stages.collect(k, warn)
    iq = irqs.collect(k, warn)
    tk = tasks.collect(k, warn, all_tasks=True)
    cpus = [{"cpu": c["cpu"], "stage_oob": c["stage"] == "oob",
             "pipeline_entry": c["pipeline_entry"],
             "inband_stalled": c["inband_stalled"],
             "oob_stalled": c["oob_stalled"],
             "hard_irqs_off": HARD_OFF[c["hard_irqs"]],
             "current": c["current"], "inband_owner": c["inband_owner"],
             "task_inflight": c["task_inflight"]} for c in st["cpus"]]
    pending = [(c["cpu"], 1 if s["stage"] == "oob" else 0, p["irq"], p["name"])
               for c in iq["cpus"] for s in c["stages"] for p in s["pending"]]
    task_list = [(t["pid"], t["comm"], t["cpu"], t["class"]) for t in tk["tasks"]]
    return {"cpus": cpus, "pending": pending, "tasks": task_list}


def report(k, warn, opts, json_out):
    """(text, number of verdicts). The snapshot comes first: without a
    recorder there is nothing to report on."""
    lib = trace._lib()
    snap = trace.snapshot(k)
    live = live_state(k, warn)
    try:
        return lib.report(snap, live, opts, json_out)
    except lib.DtrecError as e:
        from .target import DtError
        raise DtError(str(e))

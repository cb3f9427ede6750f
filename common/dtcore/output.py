"""JSON and text rendering of the state objects."""
import json


def to_json(obj):
    """One compact line; dict insertion order is the documented key order."""
    return json.dumps(obj, separators=(",", ":"))


def _pid(p):
    return "-" if p is None else str(p)


def _table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
             for r in [headers] + rows]
    return "\n".join(lines)


def stages_text(o):
    st = o["oob_stage"]
    head = "oob stage: %s" % (("present (%s)" % st["name"]) if st["present"]
                              else "absent")
    rows = [[c["cpu"], c["stage"], "yes" if c["pipeline_entry"] else "no",
             "stalled" if c["inband_stalled"] else "-", _pid(c["inband_owner"]),
             "stalled" if c["oob_stalled"] else "-", c["hard_irqs"],
             _pid(c["current"]), _pid(c["task_inflight"]),
             _pid(c["rqlock_owner"])] for c in o["cpus"]]
    return head + "\n" + _table(
        ["CPU", "STAGE", "PIPE", "INBAND", "OWNER", "OOB", "HARDIRQ",
         "CURRENT", "INFLIGHT", "RQLOCK"], rows)


def irqs_text(o):
    out = ["log levels: %d" % o["levels"]]
    for c in o["cpus"]:
        for s in c["stages"]:
            tag = "cpu %d %-6s" % (c["cpu"], s["stage"])
            if not s["present"]:
                out.append("%s: stage not present" % tag)
                continue
            state = "" if s["consistent"] else "  INCONSISTENT"
            out.append("%s: index_0=%#x, %d pending%s"
                       % (tag, s["index_0"], len(s["pending"]), state))
            for p in s["pending"]:
                extra = []
                if p["hwirq"] is not None:
                    extra.append("hwirq %d" % p["hwirq"])
                if p["vector"]:
                    extra.append(p["vector"])
                out.append("    irq %-6d %-24s %s" % (p["irq"], p["name"] or "?",
                                                       ", ".join(extra)))
            for e in s["errors"]:
                out.append("    error: %s" % e)
    return "\n".join(out)


def tasks_text(o):
    rows = []
    for e in o["tasks"]:
        core = e["core"]
        rows.append([e["pid"], e["comm"], e["cpu"], e["class"],
                     ",".join(e["tlf"]) or "-", ",".join(e["tif"]) or "-",
                     "-" if e["inflight_cpu"] is None else e["inflight_cpu"],
                     "-" if core is None else "%s:%s %s" % (
                         core["name"], core["thread"], core["state"])])
    return "_TLF table: %s\n" % o["tlf_table"] + _table(
        ["PID", "COMM", "CPU", "CLASS", "TLF", "TIF", "INFLIGHT", "CORE"], rows)


TEXT = {"stages": stages_text, "irqs": irqs_text, "tasks": tasks_text}


def render(obj, json_out):
    return to_json(obj) if json_out else TEXT[obj["command"]](obj)

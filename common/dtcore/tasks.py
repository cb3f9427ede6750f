"""Task classification by Dovetail local flags (internals §4.1, §4.4)."""
from .kernel import View
from .stages import STAGE_MASK, cpu_current, cpu_preempt_count
from .target import DtError, ReadError

TS = "struct task_struct"

# _TLF_* and TIF_MAYDAY/TIF_RETUSER are macros, absent from DWARF.
# x86 moved the _TLF bits above TS_COMPAT's neighbours (bits 2-3 are
# reserved for compat) after 5.10; see docs/json-state.md for how the
# boundary was chosen.
TLF_TABLES = {
    "x86-5.10": {"tlf": [("OOB", 0x4), ("DOVETAIL", 0x8),
                         ("OFFSTAGE", 0x10), ("OOBTRAP", 0x20)],
                 "tif": [("RETUSER", 23), ("MAYDAY", 26)]},
    "x86-6.6": {"tlf": [("OOB", 0x10), ("DOVETAIL", 0x20),
                        ("OFFSTAGE", 0x40), ("OOBTRAP", 0x80)],
                "tif": [("RETUSER", 19), ("MAYDAY", 26)]},
    "arm64-5.10": {"tlf": [("OOB", 0x1), ("DOVETAIL", 0x2),
                           ("OFFSTAGE", 0x4), ("OOBTRAP", 0x8)],
                   "tif": [("RETUSER", 7), ("MAYDAY", 27)]},
    "arm64-6.6": {"tlf": [("OOB", 0x1), ("DOVETAIL", 0x2),
                          ("OFFSTAGE", 0x4), ("OOBTRAP", 0x8)],
                  "tif": [("RETUSER", 7), ("MAYDAY", 29)]},
}


def tlf_table_name(k):
    arch = k.arch()
    if arch not in ("x86_64", "arm64"):
        raise DtError("no _TLF table for architecture %s" % arch)
    old = k.version() < (5, 11)
    prefix = "x86" if arch == "x86_64" else "arm64"
    return prefix + ("-5.10" if old else "-6.6")


def local_flags_member(t):
    for m in ("thread_info.local_flags", "thread_info.status"):
        if t.has_member(TS, m):
            return m
    raise DtError("no thread_info.local_flags or thread_info.status member")


def cpu_member(t):
    for m in ("thread_info.cpu", "cpu"):
        if t.has_member(TS, m):
            return m
    return None


def iter_tasks(k):
    """Every thread: processes from init_task.tasks, threads from
    signal->thread_head (3.14+), plus the idle tasks of other CPUs."""
    t = k.t
    init = t.symbol("init_task")
    if init is None:
        raise DtError("no init_task symbol")
    tasks_off = t.member_offset(TS, "tasks")
    node_off = t.member_offset(TS, "thread_node")
    sig_off = t.member_offset(TS, "signal")
    head_off = t.member_offset("struct signal_struct", "thread_head")
    seen = set()
    proc = init
    for _ in range(1 << 20):
        sig = t.read_ptr(proc + sig_off)
        if sig:
            head = sig + head_off
            node = t.read_ptr(head)
            for _ in range(1 << 16):
                if node == head or not node:
                    break
                task = node - node_off
                if task not in seen:
                    seen.add(task)
                    yield task
                node = t.read_ptr(node)
        if proc not in seen:
            seen.add(proc)
            yield proc
        proc = t.read_ptr(proc + tasks_off) - tasks_off
        if proc == init:
            break
    for cpu in k.online_cpus():
        rq = k.percpu("runqueues", cpu)
        idle = View(t, "struct rq", rq, ["idle"]).int("idle") if rq else 0
        if idle and idle not in seen:
            seen.add(idle)
            yield idle


def core_info(k, thread):
    t = k.t
    for core, st, name_m in (("evl", "struct evl_thread", "name"),
                             ("cobalt", "struct xnthread", "name")):
        if not t.has_type(st):
            continue
        v = View(t, st, thread, ["state"])
        try:
            t.array_length(st, name_m)
            name = View(t, st, thread, [name_m]).cstr(name_m)
        except DtError:
            nptr = View(t, st, thread, [name_m]).int(name_m)
            name = t.read_cstr(nptr, 64) if nptr else None
        return {"name": core, "thread": name, "state": "%#x" % v.int("state")}
    return None


def collect(k, warn, all_tasks=False, table=None):
    k.check_dovetail()
    t = k.t
    table = table or tlf_table_name(k)
    if table not in TLF_TABLES:
        raise DtError("unknown _TLF table %r (known: %s)"
                      % (table, ", ".join(sorted(TLF_TABLES))))
    tlf_bits = TLF_TABLES[table]["tlf"]
    tif_bits = TLF_TABLES[table]["tif"]
    tlf = dict(tlf_bits)
    lf = local_flags_member(t)
    cpum = cpu_member(t)
    oob_thread_m = "thread_info.oob_state.thread"
    has_oob_thread = t.has_member(TS, oob_thread_m)

    # Per-CPU facts that decide running vs. blocked and the references.
    running = {}
    inflight = {}
    referenced = set()
    has_refs = t.has_member("struct irq_pipeline_data", "task_inflight")
    for cpu in k.online_cpus():
        try:
            cur = cpu_current(k, cpu)
            pc = cpu_preempt_count(k, cpu, cur)
            if pc & STAGE_MASK:
                running[cur] = cpu
            if has_refs:
                v = View(t, "struct irq_pipeline_data",
                         k.percpu("irq_pipeline", cpu),
                         ["task_inflight", "rqlock_owner"])
                if v.int("task_inflight"):
                    inflight[v.int("task_inflight")] = cpu
                    referenced.add(v.int("task_inflight"))
                if v.int("rqlock_owner"):
                    referenced.add(v.int("rqlock_owner"))
        except DtError as e:
            warn("cpu %d: %s" % (cpu, e))

    members = ["pid", "comm", lf, "thread_info.flags"]
    if cpum:
        members.append(cpum)
    if has_oob_thread:
        members.append(oob_thread_m)
    out = []
    for task in iter_tasks(k):
        try:
            v = View(t, TS, task, members)
        except ReadError as e:
            warn("task at %#x: %s" % (task, e))
            continue
        flags = v.int(lf)
        if not all_tasks and not (flags & sum(tlf.values())) \
                and task not in referenced:
            continue
        if flags & tlf["OOBTRAP"]:
            cls = "oob-trapped"
        elif flags & tlf["OOB"]:
            cls = "oob-running" if task in running else "oob-blocked"
        elif flags & tlf["OFFSTAGE"]:
            cls = "migrating"
        else:
            cls = "inband"
        tif = v.int("thread_info.flags")
        core = None
        if has_oob_thread and v.int(oob_thread_m):
            try:
                core = core_info(k, v.int(oob_thread_m))
            except DtError as e:
                warn("pid %d: core thread unreadable: %s" % (v.sint("pid"), e))
        out.append({
            "pid": v.sint("pid"),
            "comm": v.cstr("comm"),
            "cpu": v.int(cpum) if cpum else 0,
            "class": cls,
            "tlf": [n for n, b in tlf_bits if flags & b],
            "tif": [n for n, b in tif_bits if tif >> b & 1],
            "inflight_cpu": inflight.get(task),
            "core": core,
        })
    out.sort(key=lambda e: (e["pid"], e["cpu"]))
    return {"command": "tasks", "tlf_table": table, "tasks": out}

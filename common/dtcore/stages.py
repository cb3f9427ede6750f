"""Per-CPU stage, stall and ownership state (docs/json-state.md, 'stages')."""
from .kernel import View
from .target import DtError

PIPELINE_MASK = 0x01000000
STAGE_MASK = 0x02000000
INBAND_STALL_BIT = 0
OOB_STALL_BIT = 1

X86_EFLAGS_IF = 1 << 9
ARM64_PSTATE_I = 1 << 7


def oob_stage(k):
    """(present, name) from the global oob_stage descriptor."""
    t = k.t
    addr = t.symbol("oob_stage")
    if addr is None:
        return False, None
    v = View(t, "struct irq_stage", addr, ["index", "name"])
    if v.sint("index") == 0:
        return False, None
    name_ptr = v.int("name")
    return True, (t.read_cstr(name_ptr, 64) if name_ptr else None)


def cpu_current(k, cpu):
    """Address of the task actually running on the CPU (oob tasks included)."""
    t = k.t
    addr = k.percpu("pcpu_hot", cpu)
    if addr is not None:
        return View(t, "struct pcpu_hot", addr, ["current_task"]).int("current_task")
    for sym in ("current_task", "__entry_task"):
        addr = k.percpu(sym, cpu)
        if addr is not None:
            return t.read_ptr(addr)
    return rq_curr(k, cpu)


def rq_curr(k, cpu):
    """The in-band scheduler's current: owner of the in-band context."""
    addr = k.percpu("runqueues", cpu)
    if addr is None:
        raise DtError("no runqueues symbol")
    return View(k.t, "struct rq", addr, ["curr"]).int("curr")


def cpu_preempt_count(k, cpu, current):
    t = k.t
    addr = k.percpu("pcpu_hot", cpu)
    if addr is not None and t.has_member("struct pcpu_hot", "preempt_count"):
        return View(t, "struct pcpu_hot", addr, ["preempt_count"]).int("preempt_count")
    addr = k.percpu("__preempt_count", cpu)
    if addr is not None:
        return t.read_uint(addr, 4)
    # arm64 keeps the count in the task: the running task's word holds
    # the CPU's STAGE bit.
    for m in ("thread_info.preempt.count", "thread_info.preempt_count"):
        if t.has_member("struct task_struct", m):
            return View(t, "struct task_struct", current, [m]).int(m) & 0xffffffff
    raise DtError("cannot locate preempt_count (no pcpu_hot, __preempt_count "
                  "or thread_info.preempt.count)")


def hard_irqs(k, cpu):
    flags = k.t.cpu_flags(cpu)
    if flags is None:
        return "unknown"
    if k.arch() == "arm64":
        return "off" if flags & ARM64_PSTATE_I else "on"
    return "on" if flags & X86_EFLAGS_IF else "off"


def _task(k, addr):
    v = k.task_view(addr, ["pid", "stall_bits"])
    return v.sint("pid"), v.int("stall_bits")


def cpu_state(k, cpu):
    t = k.t
    cur = cpu_current(k, cpu)
    if not cur:
        raise DtError("cpu %d: no current task" % cpu)
    pc = cpu_preempt_count(k, cpu, cur)
    cur_pid, cur_bits = _task(k, cur)
    owner = rq_curr(k, cpu)
    owner_pid, owner_bits = _task(k, owner) if owner else (None, 0)
    inflight = rqlock = None
    pd = k.percpu("irq_pipeline", cpu)
    st = "struct irq_pipeline_data"
    if t.has_member(st, "task_inflight"):
        v = View(t, st, pd, ["task_inflight", "rqlock_owner"])
        inflight = k.task_pid(v.int("task_inflight"))
        rqlock = k.task_pid(v.int("rqlock_owner"))
    return {
        "cpu": cpu,
        "stage": "oob" if pc & STAGE_MASK else "inband",
        "pipeline_entry": bool(pc & PIPELINE_MASK),
        "inband_stalled": bool(owner_bits >> INBAND_STALL_BIT & 1),
        "inband_owner": owner_pid,
        "oob_stalled": bool(cur_bits >> OOB_STALL_BIT & 1),
        "hard_irqs": hard_irqs(k, cpu),
        "current": cur_pid,
        "task_inflight": inflight,
        "rqlock_owner": rqlock,
    }


def collect(k, warn):
    """The 'stages' object. CPUs that cannot be read are left out and
    reported through warn() (one line each)."""
    k.check_dovetail()
    present, name = oob_stage(k)
    cpus = []
    for cpu in k.online_cpus():
        try:
            cpus.append(cpu_state(k, cpu))
        except DtError as e:
            warn("cpu %d: %s" % (cpu, e))
    return {"command": "stages",
            "oob_stage": {"present": present, "name": name},
            "cpus": cpus}

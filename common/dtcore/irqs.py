"""Pending-IRQ logs of both stages, with every index level cross-checked
(docs/dovetail-internals §2.1, §2.4; docs/json-state.md 'irqs')."""
from .irqdesc import IrqNamer
from .kernel import View
from .target import DtError, ReadError

MAP = "struct irq_event_map"
PD = "struct irq_pipeline_data"
SD = "struct irq_stage_data"


def log_levels(t):
    if t.has_member(MAP, "index_2"):
        return 4
    if t.has_member(MAP, "index_1"):
        return 3
    return 2


def _words(t, data, off, n):
    w = t.ptr_size
    return [t.uint(data, off + i * w, w) for i in range(n)]


def _bits(word_list, bpl):
    for i, w in enumerate(word_list):
        while w:
            low = w & -w
            yield i * bpl + low.bit_length() - 1
            w ^= low


def _check(upper_name, upper_bits, lower_name, lower_words, errors):
    """Bit i of the upper level is set iff lower[i] != 0. Only set bits
    and non-zero words are visited: a 4-level index_2 has 2^18 bits."""
    set_bits = set()
    b = upper_bits
    while b:
        low = b & -b
        set_bits.add(low.bit_length() - 1)
        b ^= low
    nonzero = set(i for i, w in enumerate(lower_words) if w)
    for i in sorted(set_bits | nonzero):
        if i >= len(lower_words):
            errors.append("%s bit %d: set, %s has %d words"
                          % (upper_name, i, lower_name, len(lower_words)))
        elif i in set_bits and i not in nonzero:
            errors.append("%s bit %d: set, %s[%d] == 0"
                          % (upper_name, i, lower_name, i))
        elif i in nonzero and i not in set_bits:
            errors.append("%s bit %d: clear, %s[%d] != 0"
                          % (upper_name, i, lower_name, i))


def decode_map(t, index_0, data, levels):
    """(pending irq numbers, errors) from index_0 and the raw map bytes."""
    bpl = 8 * t.ptr_size
    flat = _words(t, data, t.member_offset(MAP, "flat"), t.array_length(MAP, "flat"))
    errors = []
    if levels == 2:
        _check("index_0", index_0, "flat", flat, errors)
    else:
        i1 = _words(t, data, t.member_offset(MAP, "index_1"),
                    t.array_length(MAP, "index_1"))
        i1_bits = sum(w << (k * bpl) for k, w in enumerate(i1))
        _check("index_0", index_0, "index_1", i1, errors)
        if levels == 3:
            _check("index_1", i1_bits, "flat", flat, errors)
        else:
            i2 = _words(t, data, t.member_offset(MAP, "index_2"),
                        t.array_length(MAP, "index_2"))
            i2_bits = sum(w << (k * bpl) for k, w in enumerate(i2))
            _check("index_1", i1_bits, "index_2", i2, errors)
            _check("index_2", i2_bits, "flat", flat, errors)
    return list(_bits(flat, bpl)), errors


def stage_log(k, namer, pd_addr, s, oob_present, levels):
    t = k.t
    sd_size = t.type_size(SD)
    base = pd_addr + t.member_offset(PD, "stages") + s * sd_size
    v = View(t, SD, base, ["log.index_0", "log.map", "stage"])
    out = {"stage": "oob" if s else "inband", "present": True,
           "index_0": v.int("log.index_0"), "pending": [],
           "consistent": True, "errors": []}
    if s == 1 and (not oob_present or not v.int("stage")):
        out.update(present=False, index_0=0)
        return out
    mp = v.int("log.map")
    if not mp:
        out.update(consistent=False, errors=["map is NULL"])
        return out
    try:
        data = t.read(mp, t.type_size(MAP))
    except ReadError:
        out.update(consistent=False, errors=["map unreadable"])
        return out
    irqs, errors = decode_map(t, out["index_0"], data, levels)
    out["errors"] = errors
    out["consistent"] = not errors
    for irq in irqs:
        try:
            name, hwirq, vector = namer.resolve(irq)
        except DtError:
            name = hwirq = vector = None
        out["pending"].append({"irq": irq, "name": name, "hwirq": hwirq,
                               "vector": vector})
    return out


def collect(k, warn):
    k.check_dovetail()
    t = k.t
    from .stages import oob_stage
    present, _ = oob_stage(k)
    levels = log_levels(t)
    namer = IrqNamer(k)
    cpus = []
    for cpu in k.online_cpus():
        pd = k.percpu("irq_pipeline", cpu)
        stages = []
        for s in (0, 1):
            try:
                stages.append(stage_log(k, namer, pd, s, present, levels))
            except DtError as e:
                warn("cpu %d %s stage: %s" % (cpu, "oob" if s else "inband", e))
                stages.append({"stage": "oob" if s else "inband",
                               "present": s == 0 or present, "index_0": 0,
                               "pending": [], "consistent": False,
                               "errors": ["irq_stage_data unreadable"]})
        cpus.append({"cpu": cpu, "stages": stages})
    return {"command": "irqs", "levels": levels, "cpus": cpus}

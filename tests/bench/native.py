"""Section 1: the native recorder hot path, measured by
tests/bench/bench_native.py, whose run() returns a dict (see its
docstring for the keys), targets and verdicts included. This wrapper
only turns the dict into rows; keys it does not know are listed as they
come."""
from . import bench_native

SECTIONS = [("native", "Native recorder hot path (host)")]

# (label, instructions key, ns key); shown without a peer or target.
EXTRA = [
    ("ring writer net of its loop", "instructions_net", "ns_net"),
    ("ring writer with rdtsc timestamp", "rdtsc_instructions_per_record",
     "rdtsc_ns_per_record"),
    ("disabled: flag branch, net", "disabled_instructions", "disabled_ns"),
    ("disabled: static-key NOP, net", "disabled_nop_instructions",
     "disabled_nop_ns"),
]
NOTE_KEYS = ("cpu", "arch", "nr_records", "records", "runs", "source",
             "static_key_nop", "note")
KNOWN = {"instructions_per_record", "ns_per_record", "peer",
         "peer_ns_per_record", "peer_instructions_per_record", "ratio",
         "ratio_instructions", "targets", "meets_targets", "loop_ns",
         "loop_instructions"} | set(NOTE_KEYS) | \
    {k for _, i, n in EXTRA for k in (i, n)}


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def run(ctx, sections):
    s = sections["native"]
    res = bench_native.run()
    if not isinstance(res, dict):
        raise RuntimeError("bench_native.run() returned %s, not a dict"
                           % type(res).__name__)
    s.data.update(res)
    if res.get("error"):
        raise RuntimeError("bench_native: %s" % res["error"])
    peer = res.get("peer")
    i, n = res.get("instructions_per_record"), res.get("ns_per_record")
    met = res.get("meets_targets", {})
    s.row("ring writer, instructions per record (callgrind)",
          i if _num(i) else "n/a", "instr" if _num(i) else "",
          peer=peer, peer_value=res.get("peer_instructions_per_record"),
          ratio=res.get("ratio_instructions"),
          target="<= %d" % bench_native.TARGET_INSTRUCTIONS,
          met=met.get("instructions_per_record"),
          note=None if _num(i) else res.get("note"))
    s.row("ring writer, time per record", n if _num(n) else "n/a",
          "ns" if _num(n) else "", peer=peer,
          peer_value=res.get("peer_ns_per_record"), ratio=res.get("ratio"),
          target="<= %g ns" % bench_native.TARGET_NS,
          met=met.get("ns_per_record"),
          note="ratio: writer / peer (the peer copies a prebuilt 32-byte "
               "record into the next slot)")
    for label, ik, nk in EXTRA:
        iv, nv = res.get(ik), res.get(nk)
        if _num(iv) or _num(nv):
            s.row(label, "%s instr, %s ns" % (
                "%g" % iv if _num(iv) else "n/a",
                "%g" % nv if _num(nv) else "n/a"), "")
    if _num(res.get("loop_ns")):
        s.note("bare loop (subtracted in the net figures): %s instructions, "
               "%s ns" % (res.get("loop_instructions"), res["loop_ns"]))
    ctx_note = ", ".join("%s=%s" % (k, res[k]) for k in NOTE_KEYS
                         if res.get(k) is not None)
    if ctx_note:
        s.note(ctx_note)
    for k, v in res.items():
        if k not in KNOWN and v is not None:
            s.note("%s: %s" % (k, v))

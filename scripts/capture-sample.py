#!/usr/bin/python3
"""Capture the demo's sample snapshot from a fixture run on a real kernel.

    scripts/capture-sample.py [KERNEL-NAME] [OUT]

Boots a cached kernel built with the recorder and its fixture (make kernel),
runs a short scenario through debugfs dovetail/fixture/ctl, and copies the
frozen recorder snapshot out of the guest:

    oob on; events 200; roundtrip 1 5; park 0;
    on CPU1: events 20; violate R3 (an IRQ left pending past an unstall)
    hold 1 inband 0 3   (CPU1's in-band stage stalled for good, 3 IRQs pending)
    sleep 1; echo 1 > dovetail/recorder/freeze; cat dovetail/recorder/snapshot

so that `report` has a hang to explain and `audit` a violation to find.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.harness import kernels  # noqa: E402
from tests.vm import fixture_guest as fg  # noqa: E402

# (cpu, command): cpu None runs it from the console shell (CPU0); CPU1's
# ring keeps the most history, the console writes thousands of records.
SCENARIO = [(None, "events 200"), (None, "roundtrip 1 5"), (None, "park 0"),
            (1, "events 20"), (1, "violate R3"), (None, "hold 1 inband 0 3")]


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else None
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        ROOT, "tests", "data", "sample.dtrec")
    cands = [k for k in kernels.discover() if k.fixture and
             (name is None or k.name == name)]
    if not cands:
        sys.exit("capture-sample: no cached kernel with the fixture%s "
                 "(make kernel KSRC=...)" % (" named " + name if name else ""))
    k = cands[0]
    workdir = os.path.join(ROOT, "out", "capture")
    os.makedirs(workdir, exist_ok=True)
    # Small rings keep the committed sample small.
    vm = fg.boot(k, workdir, append="dovetail_recorder=8192")
    try:
        for cpu, cmd in SCENARIO:
            if cpu is None:
                fg.ctl(vm, cmd)
            else:
                vm.check("taskset -c %d sh -c \"echo '%s' > %s\""
                         % (cpu, cmd, fg.CTL))
        vm.check("sleep 1")
        fg.freeze(vm)
        fg.snapshot(vm, out)
    finally:
        vm.stop()
    print("capture-sample: %s from %s (%s), %d bytes"
          % (out, k.name, k.release, os.path.getsize(out)))


if __name__ == "__main__":
    main()

"""Drive the kernel-debug fixture in a guest, and run the three front ends.

The fixture hangs CPUs on purpose, so the guest is set up to survive that:
every device IRQ is routed to CPU0 (`irqaffinity=0`: the console UART must
not land on a stalled CPU) and the console shell is pinned to CPU0, so that
neither it nor its children are ever queued behind a CPU that no longer
schedules. Holds and altsched threads therefore go to CPU1, or to CPU0 only
when they leave it schedulable (park, stuck).
"""
import json
import os
import subprocess
import time

from tests.harness import VM
from tests.harness.vm import VMError
from tests.harness import gdb as hgdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CTL = "/sys/kernel/debug/dovetail/fixture/ctl"
EXPECTED = "/sys/kernel/debug/dovetail/fixture/expected"
RECORDER = "/sys/kernel/debug/dovetail/recorder"
GDB_SCRIPT = os.path.join(ROOT, "gdb-scripts", "dovetail.py")
DRGN_SCRIPT = os.path.join(ROOT, "drgn-scripts", "dovetail.py")
CRASH_EXT = os.path.join(ROOT, "crash-ext", "dovetail.so")


def skip_reason(kernel):
    """Why a cached kernel cannot run the fixture tests, or None."""
    if kernel is None:
        return "no kernel"
    if not kernel.info.get("fixture"):
        return ("kernel %s was built without CONFIG_DOVETAIL_RECORDER_FIXTURE"
                % kernel.name)
    return None


def boot(kernel, workdir, kaslr=False, append=""):
    extra = "irqaffinity=0" + (" " + append if append else "")
    vm = VM(kernel, kaslr=kaslr, smp=2, workdir=workdir, append=extra)
    vm.start()
    try:
        # $$ is the console shell itself: its children inherit CPU0.
        vm.check("taskset -p 1 $$ >/dev/null")
        # Unbound work (the tty's flush_to_ldisc among it) on CPU0 too:
        # queued on a CPU a hold keeps stalled, the console's input
        # would never reach the shell (seen on 5.13, by chance).
        vm.check("echo 1 > /sys/devices/virtual/workqueue/cpumask")
        vm.check("echo 'oob on' > %s" % CTL)
        # What pause() asks the guest's shell is asked now, while it
        # still answers: after a hold, a forked uname may never return.
        # (The KASLR offset comes through the gdbstub, held CPU or not;
        # asked at boot on arm64 it could read the user-mode vectors.)
        vm.uts_version()
    except Exception:
        vm.stop()
        raise
    return vm


def boot_into(kernel, workdir, setup, kaslr=False, append="", tries=3):
    """Boot and run setup(vm) -> result; (vm, result).

    A hold keeps a CPU hard-off; anything the other CPU then does that
    waits for an IPI to every CPU (a TLB flush of freed page tables or
    vmap areas) blocks it for good, and the guest's shell with it. That
    is the fixture's nature, not a front end's fault, and it happens by
    chance (on 5.13 about one boot in four under load): such a boot is
    thrown away and the state set up again on a fresh one."""
    for attempt in range(tries):
        vm = boot(kernel, workdir, kaslr=kaslr, append=append)
        try:
            return vm, setup(vm)
        except VMError:
            vm.stop()
            if attempt == tries - 1:
                raise


def ctl(vm, cmd, timeout=60):
    vm.check("echo '%s' > %s" % (cmd, CTL), timeout)


def hold(vm, cmd, timeout=60):
    """Run a command that holds a CPU, and return the expected state.

    Both in one command line: the shell has read all of it before the
    hold starts, so nothing depends on console input reaching the shell
    once a CPU is held (under load, it sometimes never did)."""
    return json.loads(vm.check("echo '%s' > %s && %s"
                               % (cmd, CTL, _READ_EXPECTED), timeout))


def expected(vm):
    # Read by the shell's builtins: no fork, no exec, no exit. Once a hold
    # keeps CPU1 hard-off, anything that waits for an IPI to every CPU
    # (a TLB flush for freed page tables or purged vmap areas, which an
    # exiting `cat` may set off) blocks CPU0 for good (seen on 5.13).
    return json.loads(vm.check(_READ_EXPECTED))


_READ_EXPECTED = 'IFS= read -r l < %s; echo "$l"' % EXPECTED


def wait_tasks(vm, want, timeout=60):
    """Poll `expected` until every pid in `want` has the given class."""
    deadline = time.monotonic() + timeout
    while True:
        exp = expected(vm)
        classes = {t["pid"]: t["class"] for t in exp["tasks"]}
        if all(classes.get(p) == c for p, c in want.items()):
            return exp
        if time.monotonic() > deadline:
            raise AssertionError("fixture tasks %s never reached %s"
                                 % (classes, want))
        time.sleep(0.5)


def new_task(vm, cmd, before):
    """Start an altsched thread; its pid is the one `expected` gained."""
    old = {t["pid"] for t in before["tasks"]}
    ctl(vm, cmd)
    for _ in range(100):
        exp = expected(vm)
        new = [t for t in exp["tasks"] if t["pid"] not in old]
        if new:
            return new[0]["pid"], exp
        time.sleep(0.2)
    raise AssertionError("%r started no fixture thread" % cmd)


def freeze(vm):
    vm.check("echo 1 > %s/freeze" % RECORDER)


# -- front ends ---------------------------------------------------------------

def marked(cmds, echo):
    """Script lines that run each command between DTOUTi/DTENDi markers
    (`echo % marker` prints one), and a splitter that takes the tool's
    output back apart: {cmd: output}, or None for a command the tool did
    not get to."""
    lines = []
    for i, c in enumerate(cmds):
        lines += [echo % ("DTOUT%d" % i), c, echo % ("DTEND%d" % i)]

    def split(out):
        res = {}
        for i, c in enumerate(cmds):
            a = out.find("DTOUT%d\n" % i)
            b = out.find("DTEND%d\n" % i, a + 1)
            res[c] = out[a + len("DTOUT%d\n" % i):b] if a >= 0 and b >= 0 else None
        return res
    return lines, split


def _run_marked(what, cmds, lines, split, run):
    """{cmd: output} of one session; AssertionError naming the first
    command the session did not run."""
    out, tail = run(lines)
    res = split(out)
    for c in cmds:
        if res[c] is None:
            raise AssertionError("%s did not run `%s`: %s" % (what, c, tail[-2000:]))
    return res


def gdb_json(vm, cmds, timeout=600):
    """{cmd: output line} of `dt-CMD` run in one gdb session."""
    full = ["dt-" + c for c in cmds]
    lines, split = marked(full, "echo %s\\n")
    def run(lines):
        out = vm.gdb(lines, timeout=timeout)
        return out, out
    res = _run_marked("gdb", full, ["source %s" % GDB_SCRIPT] + lines, split, run)
    return {c: res["dt-" + c] for c in cmds}


def gdb_core_out(kernel, dump, cmds, kaslr=False, timeout=600):
    """{cmd: output} of `dt-CMD` in one `gdb vmlinux dump` session;
    with kaslr, dt-kaslr first relocates vmlinux from the dump's note."""
    full = ["dt-" + c for c in cmds]
    lines, split = marked(full, "echo %s\\n")
    lines = ["source %s" % GDB_SCRIPT] + (["dt-kaslr"] if kaslr else []) + lines

    def run(lines):
        argv = [hgdb.binary(kernel.arch), "-q", "-batch", "-nx",
                kernel.vmlinux, dump]
        for l in lines:
            argv += ["-ex", l]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return r.stdout, r.stdout + r.stderr
    res = _run_marked("gdb on %s" % dump, full, lines, split, run)
    return {c: res["dt-" + c] for c in cmds}


def drgn_run(vmlinux, dump, args, timeout=600):
    """drgn running the front end script on a dump: the CompletedProcess."""
    return subprocess.run(["/usr/bin/python3", "-m", "drgn", "-q", "-c", dump,
                           "-s", vmlinux, DRGN_SCRIPT] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def drgn_out(kernel, dump, cmd, timeout=600):
    r = drgn_run(kernel.vmlinux, dump, cmd.split(), timeout)
    if r.returncode:
        raise AssertionError("drgn %s failed (%d): %s"
                             % (cmd, r.returncode, r.stderr[-2000:]))
    return r.stdout


def crash_out(kernel, dump, cmds, timeout=600):
    """{cmd: output} of `dovetail CMD` in one crash session (full on 5.x,
    --minimal where crash 8.0.2 cannot start a full one)."""
    full = ["dovetail " + c for c in cmds]
    lines, split = marked(full, "!echo %s")

    def run(lines):
        r = subprocess.run(["crash"] + kernel.crash_args() + ["-s",
                            kernel.vmlinux, dump],
                           input="\n".join(["extend %s" % CRASH_EXT] + lines + ["exit"]) + "\n",
                           capture_output=True, text=True, timeout=timeout)
        return r.stdout, r.stdout + r.stderr
    res = _run_marked("crash", full, lines, split, run)
    return {c: res["dovetail " + c] for c in cmds}


def build_crash_ext():
    r = subprocess.run(["make", "-s", "-C", os.path.dirname(CRASH_EXT)],
                       capture_output=True, text=True)
    if r.returncode:
        raise AssertionError("crash-ext build failed: " + r.stdout + r.stderr)


def snapshot(vm, path, timeout=300):
    """Copy the guest's debugfs recorder snapshot to `path` on the host.

    The console is the only channel the guest has, hence base64.
    """
    import base64
    text = vm.check("base64 %s/snapshot" % RECORDER, timeout)
    data = base64.b64decode("".join(text.split()))
    with open(path, "wb") as f:
        f.write(data)
    return path


TRACE_TOOL = os.path.join(ROOT, "tools", "dovetail-trace")


def trace_tool(*args, timeout=300):
    """(exit status, stdout, stderr) of tools/dovetail-trace, built if needed."""
    if not os.path.exists(TRACE_TOOL):
        r = subprocess.run(["make", "-s", "-C", ROOT, "all"],
                           capture_output=True, text=True)
        if r.returncode:
            raise AssertionError("make all failed: " + r.stdout + r.stderr)
    r = subprocess.run([TRACE_TOOL] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def known_state(vm):
    """The state the front-end tests and the guide inspect: round trips
    done on CPU1, events, a kthread parked oob and one stuck migrating on
    CPU0, then CPU1 held with both stages stalled and two IRQs pending in
    each log. Returns (expected, {"trip": pid, "park": pid, "stuck": pid})."""
    exp = expected(vm)
    trip, exp = new_task(vm, "roundtrip 1 3", exp)
    exp = wait_tasks(vm, {trip: "done"})
    ctl(vm, "events 20")
    park, exp = new_task(vm, "park 0", exp)
    stuck, exp = new_task(vm, "stuck 0", exp)
    wait_tasks(vm, {park: "oob-blocked", stuck: "migrating"})
    # Last: CPU1 runs nothing else from here on.
    return hold(vm, "hold 1 both 0 2"), {"trip": trip, "park": park, "stuck": stuck}


def one_json_line(text, who):
    """The single JSON line of a front end's --json output."""
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    if len(lines) != 1:
        raise AssertionError("%s: expected one JSON line, got:\n%s"
                             % (who, text[-3000:]))
    return lines[0]

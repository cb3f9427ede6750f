#!/usr/bin/python3
"""Run the sessions docs/guide.md shows, and keep their transcripts.

    scripts/guide-session.py [--kernel NAME] [--base NAME] [--skip-hand] [OUT]

OUT (default out/guide) gets one transcript per section of the guide:

  offline.txt        dovetail-trace on tests/data/sample.dtrec, trace-cmd report
  hand.txt           the QEMU command line typed by hand (nokaslr, -s), then
                     gdb vmlinux / target remote :1234 / dt-stages
  live-gdb.txt       a KASLR fixture guest (oob thread parked and another stuck
                     migrating on CPU0, CPU1 held with both stages stalled)
                     inspected with the dt-* commands through the harness gdb
                     runner; dt-kaslr's own reload in kaslr-reload.txt
  dump-drgn.txt      a fixture hang (CPU1's in-band stage stalled for good),
  dump-drgn-interactive.txt  stopped and dumped (ELF and kdump): drgn script
  dump-gdb.txt       commands, drgn interactive, gdb on the ELF dump,
  dump-crash.txt     crash --minimal, the extracted snapshot through
  crash-full.txt     dovetail-trace, crash 8.0.2's full session on 6.6
  trouble.txt        mismatched vmlinux, kernel without the recorder (--base),
                     truncated dump, QEMU's flattened kdump file, wrong file
                     type, missing --kaslr

Commands run in OUT, which holds symlinks to the repository's front ends and
to the kernel's vmlinux, so that every command reads as in the guide
(`drgn -c vmcore -s vmlinux drgn-scripts/dovetail.py stages`). Each command
is printed after `$ ` (or its debugger's prompt) followed by its output,
stdout and stderr together, and `[exit N]` when N is not 0.
"""
import argparse
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.harness import VM, initramfs, kernels, vm as vmmod  # noqa: E402
from tests.harness.dump import fixnote, take  # noqa: E402
from tests.vm import fixture_guest as fg  # noqa: E402

LINKS = ("common", "libdtrec", "tools", "gdb-scripts", "drgn-scripts",
         "crash-ext")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")
ENV = dict(os.environ, PYTHONUNBUFFERED="1", TERM="dumb")


class Transcript:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "w")

    def write(self, text):
        self.f.write(text)
        self.f.flush()

    def note(self, text):
        self.write("# %s\n" % text)

    def sh(self, cmd, input=None, timeout=900):
        """Run `cmd` (a shell line) in OUT; log it with its output."""
        r = subprocess.run(["bash", "-c", cmd], input=input, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=ENV)
        self.write("$ %s\n%s" % (cmd, r.stdout))
        if r.stdout and not r.stdout.endswith("\n"):
            self.write("\n")
        if r.returncode:
            self.write("[exit %d]\n" % r.returncode)
        return r.returncode, r.stdout

    def close(self):
        self.f.close()


def marked(cmds, echo, prompt):
    """fg.marked's script lines, and a splitter that turns the tool's
    output back into `prompt cmd` + output, as typed."""
    lines, split_out = fg.marked(cmds, echo)

    def split(out):
        res = split_out(out)
        parts = [out[:out.find("DTOUT0\n")] if "DTOUT0\n" in out else out]
        for c in cmds:
            if res[c] is None:
                parts.append("%s%s\n(no output: session ended)\n" % (prompt, c))
                break
            parts.append("%s%s\n%s" % (prompt, c, res[c]))
        return "".join(parts)
    return lines, split


def gdb_session(t, vm, cmds, timeout=900):
    lines, split = marked(cmds, "echo %s\\n", "(gdb) ")
    out = vm.gdb(lines, timeout=timeout, symbols=False)
    t.write(split(out))


def crash_session(t, args, cmds, timeout=900):
    lines, split = marked(cmds + ["exit"], "!echo %s", "crash> ")
    lines = lines[:-3] + ["exit"]
    r = subprocess.run(["bash", "-c", "crash " + args], text=True,
                       input="\n".join(lines) + "\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, env=ENV)
    t.write("$ crash %s\n" % args)
    t.write(split(r.stdout).replace("crash> exit\n(no output: session ended)\n",
                                    "crash> exit\n"))
    if r.returncode:
        t.write("[exit %d]\n" % r.returncode)


def pty_session(t, argv, lines, prompt, timeout=300):
    """Drive an interactive program on a pseudo-terminal, as typed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(ENV)
        os.execvp(argv[0], argv)
    buf = b""

    def wait_prompt():
        nonlocal buf
        deadline = time.monotonic() + timeout
        start = len(buf)
        while not buf[start:].decode("utf-8", "replace").rstrip(" ").endswith(prompt.rstrip()):
            if time.monotonic() > deadline:
                raise RuntimeError("no prompt from %s: %r" % (argv[0], buf[-500:]))
            r, _, _ = select.select([fd], [], [], 1)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return False
                if not data:
                    return False
                buf += data
        return True
    alive = wait_prompt()
    for line in lines:
        if not alive:
            break
        os.write(fd, (line + "\n").encode())
        alive = wait_prompt()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = ANSI.sub("", buf.decode("utf-8", "replace")).replace("\r", "")
    t.write("$ %s\n%s\n" % (" ".join(argv), text.rstrip()))
    if not alive:
        t.write("[exit %d]\n" % (os.WEXITSTATUS(status) if os.WIFEXITED(status)
                                  else 128 + os.WTERMSIG(status)))


def fresh(path):
    if os.path.lexists(path):
        os.unlink(path)
    return path


def setup_dir(out, kernel, base):
    os.makedirs(out, exist_ok=True)
    fixnote()                               # out/vmcore-fixnote
    os.symlink(os.path.join(ROOT, "out"), fresh(os.path.join(out, "out")))
    for d in LINKS:
        os.symlink(os.path.join(ROOT, d), fresh(os.path.join(out, d)))
    os.symlink(kernel.vmlinux, fresh(os.path.join(out, "vmlinux")))
    if base:
        os.symlink(base.vmlinux, fresh(os.path.join(out, "vmlinux.base")))
    os.chdir(out)


# -- sections -------------------------------------------------------------

def r3_window(sample):
    """The sample's deliberate R3 (the fixture's violate R3 on CPU1): the
    ns of its IRQ's post and a window from the stall before it to the
    play after it, rounded to microseconds, for the guide's commands."""
    r = subprocess.run([os.path.join(ROOT, "tools", "dovetail-trace"), "audit", "--json",
                        sample], capture_output=True, text=True)
    v = next(v for v in json.loads(r.stdout)["violations"] if v["rule"] == "R3")
    post = next(e for e in v["context"] if e["event"] == "irq_post")
    stall = max(e["ns"] for e in v["context"] if e["event"] == "inband_stall"
                and e["ns"] < post["ns"])
    return post["ns"], stall // 1000 * 1000, (v["ns"] + 40000) // 1000 * 1000, post["arg"]


def offline(out):
    t = Transcript(os.path.join(out, "offline.txt"))
    s = os.path.join(ROOT, "tests", "data", "sample.dtrec")
    os.symlink(s, fresh("sample.dtrec"))
    post, lo, hi, irq = r3_window(s)
    for c in ("stats", "decode --last 20",
              "decode --cpu 1 --from %d --to %d" % (lo, hi),
              "audit", "report", "report --json"):
        t.sh("tools/dovetail-trace %s sample.dtrec" % c)
    t.sh("tools/dovetail-trace export --format tracedat -o sample.dat sample.dtrec")
    t.sh("tools/dovetail-trace export --format chrome -o sample.json sample.dtrec")
    t.sh("tools/dovetail-trace export --format svg --cpu 1 --from %d "
         "--to %d -o sample.svg sample.dtrec" % (lo - 100000, hi + 60000))
    t.sh("ls -l sample.dat sample.json sample.svg | awk '{print $5, $9}'")
    t.sh("head -c 300 sample.json; echo")
    t.sh("trace-cmd report -v -F 'dovetail/section' -i sample.dat | head -4")
    t.sh("trace-cmd report -F 'irq_post,irq_play: irq == %d' -i sample.dat | head -4" % irq)
    t.sh("trace-cmd report -F 'dovetail/section: kind == 4 && open == 0 && "
         "dur_ns > 300000' -i sample.dat | head -4")
    t.sh("trace-cmd report --stat -i sample.dat | sed -n 7,15p")
    t.sh("trace-cmd report -t --cpu 1 -v -F 'dovetail/section' -i sample.dat | grep -A6 ' %d.%09d'"
         % (post // 10**9, post % 10**9))
    t.close()


def hand(out, kernel):
    """The QEMU line of the guide, run as typed, and a gdb attached to it."""
    t = Transcript(os.path.join(out, "hand.txt"))
    with socket.socket() as so:
        try:
            so.bind(("127.0.0.1", 1234))
        except OSError:
            t.note("port 1234 busy: section skipped")
            t.close()
            return
    initrd = initramfs.path()
    os.symlink(kernel.bzimage, fresh("bzImage"))
    os.symlink(initrd, fresh("initrd"))
    append = vmmod.cmdline(False, "irqaffinity=0", harness=False)
    argv = vmmod.qemu_argv(kernel, "initrd", append)
    argv[argv.index(kernel.bzimage)] = "bzImage"
    argv += ["-s"]
    shown = " ".join(a if " " not in a else "'%s'" % a for a in argv)
    t.write("$ %s\n" % shown)
    q = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=vmmod._child_setup)
    con = b""
    try:
        deadline = time.monotonic() + 240
        while b"DTDEBUG-READY" not in con:
            if time.monotonic() > deadline or q.poll() is not None:
                raise RuntimeError("hand QEMU did not boot: %r" % con[-1000:])
            r, _, _ = select.select([q.stdout], [], [], 1)
            if r:
                con += os.read(q.stdout.fileno(), 65536)
        time.sleep(2)
        for c in ("taskset -p 1 $$ >/dev/null",
                  "echo 'oob on' > /sys/kernel/debug/dovetail/fixture/ctl",
                  "ls /sys/kernel/debug/dovetail/recorder"):
            q.stdin.write((c + "\n").encode())
            q.stdin.flush()
            time.sleep(3)
        while True:
            r, _, _ = select.select([q.stdout], [], [], 1)
            if not r:
                break
            con += os.read(q.stdout.fileno(), 65536)
        text = ANSI.sub("", con.decode("utf-8", "replace")).replace("\r", "")
        t.write("# console, from the READY line on:\n")
        t.write(text[text.index("DTDEBUG-READY"):].rstrip() + "\n")
        t.sh("gdb -q -batch vmlinux -ex 'target remote :1234' "
             "-ex 'source gdb-scripts/dovetail.py' -ex 'dt-stages' "
             "-ex 'dt-irqs' -ex 'detach'")
    finally:
        q.kill()
        q.wait()
    t.close()


def live(out, kernel):
    t = Transcript(os.path.join(out, "live-gdb.txt"))
    vm = fg.boot(kernel, out, kaslr=True)
    try:
        t.note("guest: %s, uname -v: %s" % (vm.release, vm.uts_version()))
        exp, pids = fg.known_state(vm)
        trip, park, stuck = pids["trip"], pids["park"], pids["stuck"]
        time.sleep(2)
        t.note("fixture: roundtrip 1 3 (pid %d), events 20, park 0 (pid %d), "
               "stuck 0 (pid %d), hold 1 both 0 2" % (trip, park, stuck))
        t.note("guest ps: " + " ".join(vm.check("ps -o pid,comm | grep dtfix").split()))
        t.note("expected: " + vm.check("cat %s" % fg.EXPECTED).strip())
        off = vm.kaslr_offset()
        t.note("harness KASLR offset (IDT): %#x" % off)
        gdb_session(t, vm, [
            "file vmlinux",
            "source gdb-scripts/dovetail.py",
            "dt-stages",
            "dt-kaslr --dry-run",
            "symbol-file",
            "add-symbol-file vmlinux -o %#x -s .data..percpu 0" % off,
            "dt-stages",
            "dt-stages --json",
            "dt-irqs",
            "dt-tasks",
            "dt-trace --last 20",
            "dt-trace --cpu 1 --last 8",
            "dt-stats",
            "dt-audit",
            "dt-report",
            "dt-freeze",
            "dt-stats",
            "dt-export --format tracedat -o live.dat",
            "dt-snapshot live.dtrec",
            "dt-unfreeze",
            "help dt-trace",
        ])
        t.sh("trace-cmd report -i live.dat | tail -3")
        t.sh("tools/dovetail-trace report --last 3 live.dtrec")
        t.close()
        # dt-kaslr reloading by itself, for the record.
        t = Transcript(os.path.join(out, "kaslr-reload.txt"))
        gdb_session(t, vm, ["file vmlinux", "source gdb-scripts/dovetail.py",
                            "dt-kaslr", "dt-stages", "dt-trace --last 2"])
    finally:
        t.close()
        vm.stop()


def hang(out, kernel):
    t = Transcript(os.path.join(out, "dump-drgn.txt"))
    vm = fg.boot(kernel, out, kaslr=True)
    try:
        exp = fg.expected(vm)
        park, exp = fg.new_task(vm, "park 0", exp)
        exp = fg.wait_tasks(vm, {park: "oob-blocked"})
        fg.ctl(vm, "hold 1 inband 0 2")
        t0 = time.monotonic()
        time.sleep(3)
        t.note("guest: %s, uname -v: %s" % (vm.release, vm.uts_version()))
        t.note("fixture: park 0 (pid %d), hold 1 inband 0 2" % park)
        t.note("guest ps: " + " ".join(vm.check("ps -o pid,comm | grep dtfix").split()))
        t.note("expected: " + vm.check("cat %s" % fg.EXPECTED).strip())
        t.note("KASLR offset (IDT): %#x" % vm.kaslr_offset())
        vm.pause()
        t.note("guest stopped %.1f s (host time) after the hold" % (time.monotonic() - t0))
        take(vm, os.path.join(out, "vmcore"), "elf")
        take(vm, os.path.join(out, "vmcore.kdump"), "kdump-zlib")
        # What QEMU 7.2 writes for a kdump format, unconverted (trouble.txt).
        vm.qmp.execute("dump-guest-memory", timeout=300, paging=False,
                       protocol="file:" + fresh(os.path.join(out, "vmcore.flat")),
                       format="kdump-zlib")
        with open(os.path.join(out, "uts_version"), "w") as f:
            f.write(vm.uts_version())
    finally:
        vm.stop()
    t.sh("ls -l vmcore vmcore.kdump | awk '{print $5, $9}'")
    t.sh("drgn -c vmcore -s vmlinux drgn-scripts/dovetail.py stages")
    for c in ("irqs", "tasks", "trace --cpu 1 --last 6", "stats", "report",
              "report --json", "snapshot rec.dtrec"):
        t.sh("drgn -q -c vmcore -s vmlinux drgn-scripts/dovetail.py %s" % c)
    t.sh("drgn -q -c vmcore.kdump -s vmlinux drgn-scripts/dovetail.py report "
         "--json | cmp - <(drgn -q -c vmcore -s vmlinux drgn-scripts/dovetail.py "
         "report --json) && echo identical")
    t.sh("tools/dovetail-trace report --last 3 rec.dtrec")
    t.close()

    t = Transcript(os.path.join(out, "dump-drgn-interactive.txt"))
    pty_session(t, ["drgn", "-q", "-c", "vmcore", "-s", "vmlinux"], [
        "import sys; sys.path.insert(0, 'drgn-scripts')",
        "import dovetail",
        "dovetail.dovetail('irqs', prog)",
        "st = dovetail.dovetail_stages(prog)",
        "[(c['cpu'], c['inband_stalled'], c['inband_owner']) for c in st['cpus']]",
        "hold = find_task(prog, st['cpus'][1]['inband_owner'])",
        "hold.comm.string_(), hold.stall_bits.value_()",
        "from dtcore import cli",
        "[c for c in cli.HELP]",
    ], ">>> ")
    t.note("exec() of the script, as its docstring suggests:")
    pty_session(t, ["drgn", "-q", "-c", "vmcore", "-s", "vmlinux"], [
        "exec(open('drgn-scripts/dovetail.py').read())",
        "print('still here')",
    ], ">>> ")
    t.close()

    t = Transcript(os.path.join(out, "dump-gdb.txt"))
    gdb = "gdb -q -batch vmlinux %s -ex 'source gdb-scripts/dovetail.py' "
    t.sh(gdb % "vmcore" + "-ex dt-kaslr -ex dt-stages -ex 'dt-trace --cpu 1 --last 6' "
         "-ex dt-report")
    t.sh(gdb % "vmcore" + "-ex dt-kaslr -ex 'dt-report --json' 2>/dev/null | tail -1 "
         "| cmp - <(drgn -q -c vmcore -s vmlinux drgn-scripts/dovetail.py "
         "report --json) && echo identical")
    t.close()

    t = Transcript(os.path.join(out, "dump-crash.txt"))
    crash_session(t, "--minimal --kaslr=auto -s vmlinux vmcore.kdump", [
        "extend crash-ext/dovetail.so", "dovetail stages", "dovetail irqs",
        "dovetail tasks", "dovetail trace --cpu 1 --last 6", "dovetail report",
        "dovetail snapshot crash.dtrec",
        "dovetail export trace.dat crash.dat",
        "help dovetail"])
    t.sh("cmp crash.dtrec rec.dtrec && echo identical")
    t.close()

    t = Transcript(os.path.join(out, "crash-full.txt"))
    t.note("full session, on a terminal:")
    pty_full = ["crash", "--kaslr=auto", "vmlinux", "vmcore.kdump"]
    try:
        pty_session(t, pty_full, ["exit"], "crash> ", timeout=300)
    except RuntimeError as e:
        t.note(str(e)[:200])
    t.close()


def trouble(out, base):
    t = Transcript(os.path.join(out, "trouble.txt"))
    t.sh("drgn -q -c vmcore -s vmlinux.base drgn-scripts/dovetail.py stages")
    crash_session(t, "--minimal --kaslr=auto -s vmlinux.base vmcore.kdump",
                  ["extend crash-ext/dovetail.so", "dovetail stages"])
    crash_session(t, "--minimal -s vmlinux vmcore.kdump",
                  ["extend crash-ext/dovetail.so", "dovetail stages"])
    t.sh("gdb -q -batch vmlinux.base vmcore -ex 'source gdb-scripts/dovetail.py' "
         "-ex dt-stages")
    t.sh("head -c 50M vmcore > /tmp/trunc")
    t.sh("drgn -q -c /tmp/trunc -s vmlinux drgn-scripts/dovetail.py stages")
    t.sh("gdb -q -batch vmlinux /tmp/trunc -ex 'source gdb-scripts/dovetail.py' "
         "-ex dt-stages")
    crash_session(t, "--minimal --kaslr=auto -s vmlinux /tmp/trunc",
                  ["extend crash-ext/dovetail.so", "dovetail trace --last 3"])
    fresh("vmcore.kd")
    t.sh("drgn -q -c vmcore.flat -s vmlinux drgn-scripts/dovetail.py stages")
    crash_session(t, "--minimal --kaslr=auto -s vmlinux vmcore.flat",
                  ["extend crash-ext/dovetail.so", "dovetail stages"])
    t.sh("makedumpfile -R vmcore.kd < vmcore.flat")
    t.sh("drgn -q -c vmcore.kd -s vmlinux drgn-scripts/dovetail.py stages")
    t.sh("out/vmcore-fixnote -u '%s' vmcore.kd" % open("uts_version").read())
    t.sh("drgn -q -c vmcore.kd -s vmlinux drgn-scripts/dovetail.py stages")
    t.sh("tools/dovetail-trace report vmcore")
    t.sh("tools/dovetail-trace report <(head -c 4000 rec.dtrec)")
    if base:
        vm = VM(base, kaslr=False, smp=2, workdir=out)
        vm.start()
        try:
            t.note("guest %s: %s" % (base.name, vm.check("uname -v").strip()))
            t.note("guest: ls /sys/kernel/debug/dovetail: %s"
                   % vm.run("ls /sys/kernel/debug/dovetail")[1].strip())
            gdb_session(t, vm, ["file vmlinux.base",
                                "source gdb-scripts/dovetail.py",
                                "dt-stages", "dt-trace --last 5", "dt-report"])
            vm.pause()
            take(vm, os.path.join(out, "vmcore.base"), "elf")
        finally:
            vm.stop()
        t.sh("drgn -q -c vmcore.base -s vmlinux.base drgn-scripts/dovetail.py trace")
        t.sh("drgn -q -c vmcore.base -s vmlinux.base drgn-scripts/dovetail.py report")
        crash_session(t, "--minimal --kaslr=auto -s vmlinux.base vmcore.base",
                      ["extend crash-ext/dovetail.so", "dovetail stages",
                       "dovetail trace"])
    t.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=os.path.join(ROOT, "out", "guide"))
    ap.add_argument("--kernel", default="dovetail-6.6")
    ap.add_argument("--base", default="base",
                    help="a cached kernel without the recorder ('' to skip)")
    ap.add_argument("--skip-hand", action="store_true")
    a = ap.parse_args()
    k = kernels.find(a.kernel)
    if not k or not k.fixture:
        sys.exit("guide-session: no cached kernel %r with the fixture" % a.kernel)
    base = kernels.find(a.base) if a.base else None
    if base and base.info.get("recorder"):
        sys.exit("guide-session: %s has the recorder; --base wants one without"
                 % base.name)
    r = subprocess.run(["make", "-s", "-C", ROOT, "all"], capture_output=True,
                       text=True)
    if r.returncode:
        sys.exit("guide-session: make all failed:\n" + r.stdout + r.stderr)
    out = os.path.abspath(a.out)
    stamp = os.path.getmtime(k.vmlinux)
    setup_dir(out, k, base)
    offline(out)
    if not a.skip_hand:
        hand(out, k)
    live(out, k)
    hang(out, k)
    trouble(out, base)
    if os.path.getmtime(k.vmlinux) != stamp:
        sys.exit("guide-session: %s was rebuilt during the run: run again"
                 % k.vmlinux)
    print("guide-session: transcripts in %s" % out)


if __name__ == "__main__":
    main()

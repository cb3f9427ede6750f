"""kernel-debug/apply.sh and hookedit.awk on synthetic Dovetail trees.

The trees are made here from the hook set itself: each hooked function is
written with its anchor statements among filler, so the real hook set is
placed, and its syntax checked, without any kernel source. What is
checked is the mechanism: sites found by function and statements whatever
the lines around them, refusals that leave the tree untouched, and an
exact round trip. tests/vm/test_apply_tree.py does the same on the real
trees the cached kernels were built from.
"""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLY = os.path.join(ROOT, "kernel-debug", "apply.sh")
HOOKSET = os.path.join(ROOT, "kernel-debug", "hooks", "recorder.hooks")
EDIT = os.path.join(ROOT, "kernel-debug", "hookedit.awk")


def parse_hookset(path=HOOKSET):
    """(generations, [hook dicts]) read the way the format describes."""
    gens, hooks, state, cur = [], [], None, None
    for line in open(path).read().split("\n"):
        if state in ("anchor", "text"):
            if line in ("insert", "with"):
                state = "text"
            elif line == "end":
                state = None
            else:
                cur[state].append(line)
            continue
        w = line.split()
        if not w or line.startswith("#"):
            continue
        if w[0] == "generations":
            gens = w[1:]
        elif w[0] == "hook":
            cur = {"file": w[1], "func": w[2], "only": None, "mode": None,
                   "anchor": [], "text": []}
            hooks.append(cur)
        elif w[0] == "only":
            cur["only"] = w[1:]
        else:
            cur["mode"] = w[0]
            state = "anchor"
    return gens, hooks


GENS, HOOKS = parse_hookset()


def for_gen(gen):
    return [h for h in HOOKS if h["only"] is None or gen in h["only"]]


def synth_sources(gen, shift=0):
    """{path: text} holding every hooked function of generation `gen`.

    `shift` puts that many unrelated lines and one unrelated function
    before each hooked one, so the sites land on other lines.
    """
    funcs = {}
    for h in for_gen(gen):
        funcs.setdefault(h["file"], {}).setdefault(h["func"], []).append(h)
    out = {}
    for path, fs in funcs.items():
        lines = ["/* synthetic %s */" % path]
        for name, hs in fs.items():
            if name == "-":
                for h in hs:
                    lines += h["anchor"]
                continue
            lines += ["/* filler %d */" % i for i in range(shift)]
            if shift:
                lines += ["static int unrelated_%d(void)" % shift, "{",
                          "\treturn %d;" % shift, "}", ""]
            lines += ["static notrace int %s(int irq)" % name, "{",
                      "\tint filler = irq;"]
            for h in hs:
                lines += h["anchor"] + ["\tfiller++;"]
            lines += ["\treturn filler;", "}", ""]
        out[path] = "\n".join(lines) + "\n"
    return out


def make_tree(path, gen="6.6", shift=0):
    major, minor = gen.split(".")
    files = synth_sources(gen, shift)
    files["Makefile"] = "VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = 0\n" % (major, minor)
    files["kernel/Kconfig.dovetail"] = "config DOVETAIL\n\tbool \"Dovetail\"\n"
    files["kernel/irq/Makefile"] = "obj-y += pipeline.o\n"
    files.setdefault("kernel/irq/pipeline.c", "/* pipeline */\n")
    files.setdefault("include/linux/irqstage.h", "/* irqstage */\n")
    for rel, text in files.items():
        p = path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return path


def snapshot(path):
    """Every file's bytes and every directory under `path`."""
    files, dirs = {}, set()
    for top, ds, fs in os.walk(path):
        for d in ds:
            dirs.add(os.path.relpath(os.path.join(top, d), path))
        for f in fs:
            p = os.path.join(top, f)
            with open(p, "rb") as fh:
                files[os.path.relpath(p, path)] = fh.read()
    return files, dirs


def apply(tree, *args):
    return subprocess.run(["sh", APPLY] + list(args) + [str(tree)],
                          capture_output=True, text=True)


def assert_no_leftovers(tree):
    files, _ = snapshot(tree)
    assert not [f for f in files if re.search(r"\.(rej|orig)$", f)]


def test_hookset_lists_generations():
    assert GENS, "recorder.hooks has no generations line"
    for h in HOOKS:
        assert h["mode"] in ("after", "before", "replace", "first"), h
        assert h["text"], h
        assert bool(h["anchor"]) == (h["mode"] != "first"), h


@pytest.mark.parametrize("gen", GENS)
@pytest.mark.parametrize("shift", [0, 7])
def test_round_trip_is_exact(tmp_path, gen, shift):
    tree = make_tree(tmp_path / "k", gen, shift)
    before = snapshot(tree)
    r = apply(tree)
    assert r.returncode == 0, r.stderr
    assert "hook set %s" % gen in r.stdout
    files, _ = snapshot(tree)
    # Every hook's text is in its file, in the function it names.
    for h in for_gen(gen):
        body = files[h["file"]].decode()
        assert "\n".join(h["text"]) in body, (h["func"], h["text"])
    assert "kernel/irq/Kconfig.recorder" in files
    assert_no_leftovers(tree)
    r = apply(tree, "-R")
    assert r.returncode == 0, r.stderr
    assert snapshot(tree) == before


def test_sites_follow_their_function(tmp_path):
    # The same hooks land in the same functions whatever precedes them.
    a = make_tree(tmp_path / "a", "6.6", 0)
    b = make_tree(tmp_path / "b", "6.6", 23)
    assert apply(a).returncode == 0 and apply(b).returncode == 0
    fa, fb = snapshot(a)[0], snapshot(b)[0]
    for h in for_gen("6.6"):
        if h["func"] == "-":
            continue
        rx = re.compile(r"int %s\(int irq\)\n\{\n(.*?)\n\}" % h["func"], re.S)
        ba = rx.search(fa[h["file"]].decode()).group(1)
        bb = rx.search(fb[h["file"]].decode()).group(1)
        assert ba == bb
        assert "\n".join(h["text"]) in ba


def test_apply_twice_is_apply_once(tmp_path):
    tree = make_tree(tmp_path / "k")
    before = snapshot(tree)
    assert apply(tree).returncode == 0
    once = snapshot(tree)
    r = apply(tree)
    assert r.returncode == 0, r.stderr
    assert snapshot(tree) == once
    assert apply(tree, "-R").returncode == 0
    assert snapshot(tree) == before


def test_unsupported_generation_refused_in_one_line(tmp_path):
    tree = make_tree(tmp_path / "k", "6.6")
    mk = tree / "Makefile"
    mk.write_text(mk.read_text().replace("PATCHLEVEL = 6", "PATCHLEVEL = 1"))
    before = snapshot(tree)
    r = apply(tree)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert "Dovetail 6.1: no hook set for it (hook sets: %s)" % " ".join(GENS) \
        in r.stderr
    assert snapshot(tree) == before
    # Told which set to try, it places it exactly.
    r = apply(tree, "--hooks", "6.6")
    assert r.returncode == 0, r.stderr
    assert apply(tree, "-R").returncode == 0
    assert snapshot(tree) == before


def test_no_dovetail_refused(tmp_path):
    tree = make_tree(tmp_path / "k")
    (tree / "include/linux/irqstage.h").unlink()
    r = apply(tree)
    assert r.returncode == 1 and "has no Dovetail" in r.stderr


def test_missing_anchor_refused_untouched(tmp_path):
    tree = make_tree(tmp_path / "k")
    p = tree / "kernel/sched/core.c"
    p.write_text(p.read_text().replace("switch_to(prev, next, last);",
                                       "switch_to(prev, next, prev);"))
    before = snapshot(tree)
    r = apply(tree)
    assert r.returncode == 1
    assert "anchor 'switch_to(prev, next, last);' found 0 times in " \
        "dovetail_context_switch()" in r.stderr
    assert "the tree is untouched" in r.stderr
    assert snapshot(tree) == before


def test_ambiguous_anchor_refused(tmp_path):
    tree = make_tree(tmp_path / "k")
    p = tree / "kernel/sched/core.c"
    p.write_text(p.read_text().replace(
        "\tpd->task_inflight = p;\n",
        "\tpd->task_inflight = p;\n\tpd->task_inflight = p;\n"))
    before = snapshot(tree)
    r = apply(tree)
    assert r.returncode == 1
    assert "found 2 times in dovetail_leave_inband()" in r.stderr
    assert snapshot(tree) == before


def test_other_generations_set_refused(tmp_path):
    # The 5.13 spelling of a site is not taken for the 6.6 one.
    tree = make_tree(tmp_path / "k", "6.6")
    before = snapshot(tree)
    r = apply(tree, "--check", "--hooks", "5.13")
    assert r.returncode == 1
    assert "rcu_nmi_enter();' found 0 times" in r.stderr
    assert snapshot(tree) == before
    r = apply(tree, "--check")
    assert r.returncode == 0 and "nothing written" in r.stdout
    assert snapshot(tree) == before


def test_revert_refuses_an_edited_tree(tmp_path):
    tree = make_tree(tmp_path / "k")
    assert apply(tree).returncode == 0
    p = tree / "kernel/dovetail.c"
    p.write_text(p.read_text() + "/* local change */\n")
    edited = snapshot(tree)
    r = apply(tree, "-R")
    assert r.returncode == 1
    assert "kernel/dovetail.c changed since the recorder was applied" in r.stderr
    assert snapshot(tree) == edited


def test_not_applied(tmp_path):
    tree = make_tree(tmp_path / "k")
    r = apply(tree, "-R")
    assert r.returncode == 1 and "not applied" in r.stderr


def test_failure_half_way_puts_files_back(tmp_path):
    # kernel/sched is read-only in a private mount namespace: the overlay
    # and the first hooked files are written, core.c cannot be.
    tree = make_tree(tmp_path / "k")
    before = snapshot(tree)
    script = ('mount --bind "$1/kernel/sched" "$1/kernel/sched" && '
              'mount -o remount,bind,ro "$1/kernel/sched" && '
              'exec sh "$2" "$1"')
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh",
                        str(tree), APPLY], capture_output=True, text=True)
    if r.returncode and "Operation not permitted" in r.stderr \
            and "apply.sh" not in r.stderr:
        pytest.skip("no private mount namespace here: %s" % r.stderr.strip())
    assert r.returncode == 1
    assert "writing" in r.stderr and "back as they were" in r.stderr
    assert snapshot(tree) == before


def test_engine_refuses_first_on_two_definitions(tmp_path):
    hs = tmp_path / "h.hooks"
    hs.write_text("generations 9.9\n\nhook x.c f\nfirst\ninsert\n\tnew();\nend\n")
    src = tmp_path / "x.c"
    src.write_text("int f(void)\n{\n\treturn 0;\n}\n#else\nint f(void)\n{\n}\n")
    r = subprocess.run(["awk", "-v", "gen=9.9", "-v", "target=x.c", "-f", EDIT,
                        str(hs), str(src)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "f() is defined 2 times, 'first' needs one" in r.stderr


def test_engine_skips_prototypes_and_calls(tmp_path):
    hs = tmp_path / "h.hooks"
    hs.write_text("generations 9.9\n\nhook x.c f\nafter\n\tx = 1;\n"
                  "insert\n\tmark();\nend\n")
    src = tmp_path / "x.c"
    src.write_text("int f(void);\nstatic inline int f_stub(void) { }\n"
                   "void g(void)\n{\n\tx = 1;\n\tf();\n}\n"
                   "int f(void)\n{\n\tx = 1;\n}\n")
    r = subprocess.run(["awk", "-v", "gen=9.9", "-v", "target=x.c", "-f", EDIT,
                        str(hs), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("int f(void)\n{\n\tx = 1;\n\tmark();\n}\n")
    assert r.stdout.count("mark();") == 1

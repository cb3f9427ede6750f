#!/usr/bin/env python3
"""Run every test tier through pytest and print per-tier counts.

The last line is the plain `N passed, N failed, N skipped` summary that
CI reads. Tiers are the first directory under tests/ (unit, vm, ...).
"""
import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tier_of(case):
    # junit classname is dotted module path: tests.unit.test_x.Class
    parts = (case.get("classname") or "").split(".")
    if len(parts) > 1 and parts[0] == "tests":
        return parts[1]
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tier", action="append",
                    help="run only this tier (repeatable)")
    ap.add_argument("pytest_args", nargs="*")
    args = ap.parse_args()

    out = os.path.join(ROOT, "out")
    os.makedirs(out, exist_ok=True)
    junit = os.path.join(out, "junit.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    paths = [os.path.join("tests", t) for t in args.tier] if args.tier \
        else ["tests"]
    cmd = [sys.executable, "-m", "pytest", "-rs", "-q", "-p", "no:cacheprovider",
           "--junitxml=" + junit] + paths + args.pytest_args
    rc = subprocess.call(cmd, cwd=ROOT)
    if not os.path.exists(junit):
        print("test runner: pytest produced no report (exit %d)" % rc)
        print("0 passed, 1 failed, 0 skipped")
        return 1

    counts = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        tier = tier_of(case)
        c = counts.setdefault(tier, [0, 0, 0])
        if case.find("skipped") is not None:
            c[2] += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            c[1] += 1
        else:
            c[0] += 1
    tot = [0, 0, 0]
    for tier in sorted(counts):
        p, f, s = counts[tier]
        print("tier %-8s %d passed, %d failed, %d skipped" % (tier + ":", p, f, s))
        tot = [a + b for a, b in zip(tot, counts[tier])]
    print("%d passed, %d failed, %d skipped" % tuple(tot))
    # pytest exit 5 means nothing collected: not a failure of ours.
    return 1 if tot[1] or rc not in (0, 1, 5) else 0


if __name__ == "__main__":
    sys.exit(main())

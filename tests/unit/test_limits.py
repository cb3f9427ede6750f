"""One set of limits (issue 11): the values in linux/dovetail_recorder.h
are those docs/recorder.md documents (section 8) and those the kernel's
Kconfig allows for the ring size (Kconfig cannot include the header, so
this test is what keeps them equal)."""
import os
import re
import subprocess

from dtrec_testlib import ROOT

UAPI = os.path.join(ROOT, "kernel-debug", "files", "include", "uapi")
NAMES = ["DTREC_MAX_CPUS", "DTREC_MIN_RECORDS", "DTREC_MAX_RECORDS",
         "DTREC_MAX_REC_SIZE", "DTREC_MAX_RING_HDR", "DTREC_MAX_DESC_SIZE",
         "DTREC_MAX_SNAP_HDR", "DTREC_MAX_METRICS", "DTREC_MAX_AREA_RECORDS"]


def header_values(tmp_path):
    src = tmp_path / "limits.c"
    src.write_text("#include <stdio.h>\n#include <linux/dovetail_recorder.h>\n"
                   "int main(void) {\n" +
                   "".join('printf("%s %%llu\\n", (unsigned long long)(%s));\n' % (n, n)
                           for n in NAMES) + "return 0; }\n")
    exe = tmp_path / "limits"
    subprocess.run(["cc", "-I" + UAPI, "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


def test_header_doc_and_kconfig_agree(tmp_path):
    h = header_values(tmp_path)
    doc = open(os.path.join(ROOT, "docs", "recorder.md")).read()
    table = dict(re.findall(r"^\| `(DTREC_[A-Z_]+)` \| ([0-9^]+) \|", doc, re.M))
    assert sorted(table) == sorted(NAMES)
    for name, text in table.items():
        base, _, exp = text.partition("^")
        assert h[name] == (int(base) ** int(exp) if exp else int(base)), name
    kconfig = open(os.path.join(ROOT, "kernel-debug", "files", "kernel", "irq",
                                "Kconfig.recorder")).read()
    lo, hi = re.search(r"^\s*range (\d+) (\d+)", kconfig, re.M).groups()
    assert (int(lo), int(hi)) == (h["DTREC_MIN_RECORDS"], h["DTREC_MAX_RECORDS"])
    assert "nr_records` | ring size N in records, a power of two" in doc
    assert "power of two, 64 .. 1048576" in doc
    # The kernel's area size range is the format's (dovetail_recorder_max=).
    maxc = open(os.path.join(ROOT, "kernel-debug", "files", "kernel", "irq",
                             "dovetail_recorder_max.c")).read()
    assert "clamp(dtrec_max_records, 16U, DTREC_MAX_AREA_RECORDS)" in maxc
    assert "record slots per area (16 .. %d)" % h["DTREC_MAX_AREA_RECORDS"] in doc

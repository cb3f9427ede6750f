"""Host programs the harness builds from the project's C sources on demand.

The tier must not depend on `make` having run: a helper is compiled into
out/ when missing or older than any of its sources.
"""
import os
import subprocess


class BuildError(Exception):
    pass


def built(src, out, deps=(), libs=()):
    """Path of the program built from `src` (and rebuilt when `src` or one
    of `deps` is newer); BuildError with the compiler's message."""
    newest = max(os.path.getmtime(p) for p in [src] + list(deps))
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = subprocess.run(["gcc", "-Wall", "-Wextra", "-O2", "-o", out, src]
                       + list(libs), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise BuildError("cannot build %s: %s"
                         % (os.path.basename(out), r.stdout.strip()[-300:]))
    return out

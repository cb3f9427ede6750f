"""Discovery of the kernels that `make kernel` stored in the cache."""
import json
import os

NO_KERNEL_REASON = ("no Dovetail kernel in ~/.cache/dovetail-debug/kernels "
                    "(build one with make kernel KSRC=...)")

FILES = ("vmlinux", "info.json", "release")
# The boot image make kernel stores for each architecture (info.json "arch").
IMAGES = {"x86_64": "bzImage", "arm64": "Image"}


def kcache():
    return os.environ.get("KCACHE") or os.path.expanduser(
        "~/.cache/dovetail-debug")


class Kernel:
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "info.json")) as f:
            self.info = json.load(f)
        self.name = self.info.get("name") or os.path.basename(path)
        with open(os.path.join(path, "release")) as f:
            self.release = f.read().strip()
        self.generation = self.info.get("generation", "")
        self.recorder = bool(self.info.get("recorder"))
        self.fixture = bool(self.info.get("fixture"))
        self.arch = self.info.get("arch") or "x86_64"
        if self.arch not in IMAGES:
            raise ValueError("%s: unknown architecture %r" % (path, self.arch))
        self.image = os.path.join(path, IMAGES[self.arch])
        # The x86 spelling, kept for the callers that predate arm64.
        self.bzimage = self.image
        self.vmlinux = os.path.join(path, "vmlinux")
        self.config = os.path.join(path, "config")

    def crash_args(self):
        """How crash 8.0.2 opens this kernel's dumps.

        A full session on 5.x; on 6.5 and later crash 8.0.2 aborts while
        starting one (docs/crash.md), so --minimal there.
        """
        try:
            major, minor = (int(x) for x in self.generation.split(".")[:2])
        except ValueError:
            return ["--minimal", "--kaslr", "auto"]
        if (major, minor) >= (6, 5):
            return ["--minimal", "--kaslr", "auto"]
        return ["--kaslr", "auto"]

    def crash_skip_reason(self):
        """Why crash cannot be tested on this kernel's dumps here, or None:
        Debian's crash is built for the host's architecture only."""
        if self.arch != "x86_64":
            return ("Debian's crash reads only x86_64 dumps on this host "
                    "(%s is %s): crash-ext is built but not run" % (
                        self.name, self.arch))
        return None

    @property
    def crash_full(self):
        return "--minimal" not in self.crash_args()

    def __repr__(self):
        return "Kernel(%s, %s)" % (self.name, self.release)


def discover(root=None):
    """Complete kernels under <cache>/kernels, sorted by name.

    Half-written entries (a store in progress uses a dot-prefixed temporary
    directory) and entries missing a file are ignored rather than failing
    every test.
    """
    base = os.path.join(root or kcache(), "kernels")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    found = []
    for n in names:
        d = os.path.join(base, n)
        if n.startswith(".") or not all(
                os.path.isfile(os.path.join(d, f)) for f in FILES):
            continue
        try:
            k = Kernel(d)
        except (OSError, ValueError):
            continue
        if os.path.isfile(k.image):
            found.append(k)
    return found


def find(name, root=None):
    for k in discover(root):
        if k.name == name or os.path.basename(k.path) == name:
            return k
    return None

#!/usr/bin/env bash
# Install what the toolkit and its tests need, from Debian's packages only.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have make || need+=(make)
have clang || need+=(clang)
have gdb || need+=(gdb)
have crash || need+=(crash)
have qemu-system-x86_64 || need+=(qemu-system-x86)
have makedumpfile || need+=(makedumpfile)
have trace-cmd || need+=(trace-cmd)
have cpio || need+=(cpio)
# make kernel: what Kbuild needs on the host (scripts/, objtool, sorttable,
# the certificate tools), and ccache so that rebuilds after apply.sh are quick.
have flex || need+=(flex)
have bison || need+=(bison)
have bc || need+=(bc)
have perl || need+=(perl)
have rsync || need+=(rsync)
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
have ccache || need+=(ccache)
[ -x /bin/busybox ] || need+=(busybox-static)
[ -f /usr/include/crash/defs.h ] || need+=(crash)
/usr/bin/python3 -c 'import drgn' 2>/dev/null || need+=(python3-drgn)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-dev)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages (${need[*]}); run as root or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup: all dependencies present"

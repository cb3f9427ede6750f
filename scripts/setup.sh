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
# The trace.dat export is checked in KernelShark, on a virtual X server.
have kernelshark || need+=(kernelshark)
have Xvfb || need+=(xvfb)
have xwd || need+=(x11-apps)
have rsvg-convert || need+=(librsvg2-bin)
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
# arm64 (make kernel ARCH=arm64, its guests and debuggers): the cross
# compiler and static C library (the initramfs's helpers), QEMU's aarch64
# system emulator, a gdb that reads aarch64.
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-arm64-cross)
have qemu-system-aarch64 || need+=(qemu-system-arm)
have gdb-multiarch || need+=(gdb-multiarch)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages (${need[*]}); run as root or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The arm64 guests' busybox: Debian's busybox-static for arm64, unpacked
# (not installed: it would replace the host's) where mkinitramfs.sh looks.
arm64_busybox=/usr/local/lib/dovetail-debug/arm64/busybox
if [ ! -x "$arm64_busybox" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: $arm64_busybox missing; run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update -qq
	fi
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq busybox-static:arm64 2>/dev/null ||
		{ apt-get update -qq && apt-get download -qq busybox-static:arm64; })
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
	install -D -m 0755 "$tmp/x/bin/busybox" "$arm64_busybox"
	rm -rf "$tmp"
fi
echo "setup: all dependencies present"

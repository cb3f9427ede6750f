#!/usr/bin/env bash
# Build the VM-tier initramfs: static busybox, tests/initramfs/init, and every
# tests/initramfs/*.c compiled with gcc -static into /bin.
#   scripts/mkinitramfs.sh [--arch x86_64|arm64] OUT.cpio.gz
# arm64: Debian's busybox-static for arm64 as make setup unpacks it, and the
# helpers built with aarch64-linux-gnu-gcc; BUSYBOX and CC override either.
set -euo pipefail

prog=mkinitramfs
die() { echo "$prog: $*" >&2; exit 1; }

arch=x86_64
if [ "${1:-}" = --arch ]; then
	[ $# -ge 2 ] || die "--arch needs x86_64 or arm64"
	arch=$2
	shift 2
fi
[ $# -eq 1 ] || die "usage: $0 [--arch x86_64|arm64] OUT.cpio.gz"
out=$1
here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/tests/initramfs
case $arch in
x86_64)
	busybox=${BUSYBOX:-/bin/busybox} cc=${CC:-gcc} ;;
arm64)
	busybox=${BUSYBOX:-/usr/local/lib/dovetail-debug/arm64/busybox}
	cc=${CC:-aarch64-linux-gnu-gcc} ;;
*) die "unknown architecture $arch (x86_64 or arm64)" ;;
esac

[ -x "$busybox" ] || die "$busybox missing: install busybox-static for $arch (make setup)"
# A dynamic busybox would find no libc in the guest.
if file -L "$busybox" 2>/dev/null | grep -q "dynamically linked"; then
	die "$busybox is dynamically linked: install busybox-static"
fi
command -v cpio >/dev/null || die "cpio missing: install cpio"
[ -f "$src/init" ] || die "$src/init missing"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,root,etc}
cp "$busybox" "$root/bin/busybox"
# A foreign busybox cannot list its applets here: /init installs them at boot.
ln -s busybox "$root/bin/sh"
if [ "$arch" = "$(uname -m)" ] || { [ "$arch" = arm64 ] && [ "$(uname -m)" = aarch64 ]; }; then
	for applet in $("$busybox" --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
fi
install -m 0755 "$src/init" "$root/init"

for c in "$src"/*.c; do
	[ -e "$c" ] || continue
	exe=$root/bin/$(basename "$c" .c)
	$cc -static -Wall -Wextra -O2 -o "$exe" "$c" ||
		die "cannot build $c with $cc (static glibc needed: libc6-dev, or libc6-dev-arm64-cross)"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"

#!/usr/bin/env bash
# Build the VM-tier initramfs: static busybox, tests/initramfs/init, and every
# tests/initramfs/*.c compiled with gcc -static into /bin.
#   scripts/mkinitramfs.sh OUT.cpio.gz
set -euo pipefail

prog=mkinitramfs
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT.cpio.gz"
out=$1
here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/tests/initramfs
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || die "$busybox missing: install busybox-static (scripts/setup.sh)"
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
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$src/init" "$root/init"

for c in "$src"/*.c; do
	[ -e "$c" ] || continue
	exe=$root/bin/$(basename "$c" .c)
	gcc -static -Wall -Wextra -O2 -o "$exe" "$c" ||
		die "cannot build $c (static glibc needed: libc6-dev)"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"

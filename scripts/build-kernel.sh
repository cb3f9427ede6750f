#!/usr/bin/env bash
# Build a Dovetail kernel for the VM tier and store it in the kernel cache.
#
#   scripts/build-kernel.sh KSRC [NAME]          configure, build, store
#   scripts/build-kernel.sh --store-only BUILDDIR NAME
#                                                store an already built O= dir
#
# The cache layout ($KCACHE/kernels/NAME/{bzImage or Image,vmlinux,config,
# release,info.json}) is the contract with tests/harness (see docs/design.md).
# Environment: KCACHE (default ~/.cache/dovetail-debug), JOBS (default nproc),
# HOOKS (a hook set to try on a generation without its own: apply.sh --hooks),
# ARCH (x86_64, the default, or arm64, cross-built with CROSS_COMPILE,
# default aarch64-linux-gnu-).
set -euo pipefail

prog=build-kernel
die() { echo "$prog: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")/.." && pwd)
KCACHE=${KCACHE:-$HOME/.cache/dovetail-debug}
fragdir=$here/kernel-debug/config
mainfrag=$fragdir/dovetail-debug.config

# Target architecture: the cache's spelling (info.json "arch"), Kbuild's
# ARCH, the image target and where Kbuild leaves it.
set_arch() {
	case $1 in
	""|x86_64|x86)
		arch=x86_64 karch=x86 image=bzImage imgpath=arch/x86/boot/bzImage ;;
	arm64|aarch64)
		arch=arm64 karch=arm64 image=Image imgpath=arch/arm64/boot/Image ;;
	*) return 1 ;;
	esac
}

check_name() {
	# The name becomes a directory and a pytest id: keep it plain.
	[[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
		die "bad kernel name '$1' (use letters, digits, '.', '_', '-')"
}

# Fragments in a fixed order: the main one first so later ones can override,
# the architecture's own (config/arch/$arch.config) last.
fragments() {
	local f
	echo "$mainfrag"
	for f in "$fragdir"/*.config; do
		[ -e "$f" ] && [ "$f" != "$mainfrag" ] && echo "$f"
	done
	[ -f "$fragdir/arch/$arch.config" ] && echo "$fragdir/arch/$arch.config"
	return 0
}

# Every CONFIG_ line of the fragments must have survived Kconfig; options
# silently dropped (missing dependency, wrong name) would make tests lie.
verify_config() {
	local cfg=$1 bad=0 line sym got
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			grep -qxF -- "$line" "$cfg" && continue
			got=$(grep -E "^($sym=|# $sym is not set)" "$cfg" || true)
			echo "$prog: $line requested, .config has: ${got:-nothing (unknown or unmet dependency)}" >&2
			bad=1 ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			if got=$(grep -E "^$sym=" "$cfg"); then
				echo "$prog: $sym requested off, .config has: $got" >&2
				bad=1
			fi ;;
		esac
	done < <(fragments | xargs cat)
	return $bad
}

json_bool() { grep -qx "$1=y" "$2" && echo true || echo false; }
# A path as a JSON string body: backslash and double quote escaped.
json_esc() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; }

# Copy the artefacts of build dir $1 into the cache as $2, atomically so a
# half-stored kernel is never picked up by the tests.
store() {
	local b=$1 name=$2 gen=$3 dest tmp release
	for f in $imgpath vmlinux .config include/config/kernel.release; do
		[ -f "$b/$f" ] || die "$b/$f missing: is $b a finished $arch kernel build?"
	done
	release=$(cat "$b/include/config/kernel.release")
	if [ -z "$gen" ]; then
		gen=$(echo "$release" | sed -nE 's/^([0-9]+\.[0-9]+).*/\1/p')
		[ -n "$gen" ] || die "cannot tell the kernel generation from release '$release'"
	fi
	dest=$KCACHE/kernels/$name
	tmp=$KCACHE/kernels/.$name.tmp.$$
	mkdir -p "$KCACHE/kernels"
	rm -rf "$tmp"
	mkdir "$tmp"
	cp "$b/$imgpath" "$tmp/$image"
	cp "$b/vmlinux" "$tmp/vmlinux"
	cp "$b/.config" "$tmp/config"
	echo "$release" > "$tmp/release"
	hooks="" ksrc=""
	[ -L "$b/source" ] && ksrc=$(readlink -f "$b/source")
	[ -f "$ksrc/.dovetail-recorder/hooks" ] && hooks=$(cat "$ksrc/.dovetail-recorder/hooks")
	printf '{"name": "%s", "release": "%s", "generation": "%s", "arch": "%s", "image": "%s", "ksrc": "%s", "hooks": "%s", "recorder": %s, "fixture": %s}\n' \
		"$name" "$release" "$gen" "$arch" "$image" "$(json_esc "$ksrc")" "$hooks" \
		"$(json_bool CONFIG_DOVETAIL_RECORDER "$b/.config")" \
		"$(json_bool CONFIG_DOVETAIL_RECORDER_FIXTURE "$b/.config")" > "$tmp/info.json"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	echo "$prog: stored $name ($release, Dovetail $gen) in $dest"
}

tree_generation() {
	local v p
	v=$(sed -nE 's/^VERSION = ([0-9]+)$/\1/p' "$1/Makefile")
	p=$(sed -nE 's/^PATCHLEVEL = ([0-9]+)$/\1/p' "$1/Makefile")
	[ -n "$v" ] && [ -n "$p" ] && echo "$v.$p"
}

if [ "${1:-}" = --store-only ]; then
	[ $# -eq 3 ] || die "usage: $0 --store-only BUILDDIR NAME"
	[ -d "$2" ] || die "build dir $2 does not exist"
	check_name "$3"
	# The architecture of a finished build is in its .config.
	if grep -qx 'CONFIG_ARM64=y' "$2/.config" 2>/dev/null; then set_arch arm64; else set_arch x86_64; fi
	gen=""
	[ -f "$2/source/Makefile" ] && gen=$(tree_generation "$2/source" || true)
	store "$2" "$3" "$gen"
	exit 0
fi

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 KSRC [NAME]  |  $0 --store-only BUILDDIR NAME"
ksrc=${1:-}
name=${2:-}

[ -n "$ksrc" ] || die "no kernel tree given: make kernel KSRC=<path to a Dovetail kernel tree>"
[ -d "$ksrc" ] || die "KSRC=$ksrc does not exist"
ksrc=$(cd "$ksrc" && pwd)
set_arch "${ARCH:-}" || die "ARCH=$ARCH: only x86_64 and arm64 kernels are supported"
case ${SUBARCH:-} in
""|x86_64|x86) ;;
*) die "SUBARCH=$SUBARCH: not supported (unset SUBARCH)" ;;
esac
[ -f "$ksrc/Makefile" ] && [ -f "$ksrc/Kconfig" ] && [ -d "$ksrc/arch/$karch" ] ||
	die "KSRC=$ksrc is not a Linux kernel tree for $arch (no Makefile, Kconfig or arch/$karch)"
gen=$(tree_generation "$ksrc") || die "KSRC=$ksrc: no VERSION/PATCHLEVEL in its Makefile"
[ -f "$ksrc/include/linux/irqstage.h" ] ||
	die "KSRC=$ksrc ($gen) has no Dovetail: include/linux/irqstage.h missing"
grep -qs '^config DOVETAIL$' "$ksrc/kernel/Kconfig.dovetail" ||
	die "KSRC=$ksrc ($gen) has no Dovetail: no 'config DOVETAIL' in kernel/Kconfig.dovetail"
if [ "$arch" = arm64 ]; then
	[ -f "$ksrc/arch/arm64/kernel/irq_pipeline.c" ] ||
		die "KSRC=$ksrc ($gen) has no Dovetail for arm64: arch/arm64/kernel/irq_pipeline.c missing"
	CROSS_COMPILE=${CROSS_COMPILE-aarch64-linux-gnu-}
	command -v "${CROSS_COMPILE}gcc" >/dev/null 2>&1 ||
		die "${CROSS_COMPILE}gcc not found: install gcc-aarch64-linux-gnu (make setup)"
else
	[ "$(uname -m)" = x86_64 ] || die "host is $(uname -m): only native x86_64 builds are supported"
	CROSS_COMPILE=
fi
# Kbuild refuses O= builds next to an in-tree configuration; say so up front.
if [ -f "$ksrc/.config" ] || [ -d "$ksrc/include/config" ]; then
	die "KSRC=$ksrc is not clean (in-tree .config or include/config): run 'make -C $ksrc mrproper' first"
fi
[ -f "$mainfrag" ] || die "$mainfrag missing: run from a complete checkout"

if [ "$arch" = x86_64 ]; then name=${name:-dovetail-$gen}; else name=${name:-dovetail-$gen-$arch}; fi
check_name "$name"

if [ -f "$here/kernel-debug/apply.sh" ]; then
	echo "$prog: installing the recorder overlay into $ksrc"
	sh "$here/kernel-debug/apply.sh" ${HOOKS:+--hooks "$HOOKS"} "$ksrc" ||
		die "kernel-debug/apply.sh failed on $ksrc (see its message above)"
fi

build=$KCACHE/build/$name
mkdir -p "$build"
allconfig=$build/dtdebug.allconfig
fragments | xargs cat > "$allconfig"

cc=${CROSS_COMPILE}gcc
command -v ccache >/dev/null 2>&1 && cc="ccache $cc"
jobs=${JOBS:-$(nproc)}
# ARCH=x86, Kbuild's own spelling: 5.x trees build their host tools with
# tools/arch/$(ARCH)/include, which has no x86_64 directory.
kmake() {
	make -C "$ksrc" O="$build" ARCH=$karch CROSS_COMPILE="$CROSS_COMPILE" CC="$cc" "$@"
}

echo "$prog: configuring $name (Dovetail $gen) in $build"
log=$build/config.log
if ! KCONFIG_ALLCONFIG=$allconfig kmake allnoconfig > "$log" 2>&1; then
	if grep -q "not clean" "$log"; then
		die "KSRC=$ksrc is not clean: run 'make -C $ksrc mrproper' first"
	fi
	tail -n 20 "$log" >&2
	die "configuration failed (full log: $log)"
fi
verify_config "$build/.config" ||
	die "the config fragments did not apply (see lines above); fix kernel-debug/config/*.config"

echo "$prog: building $image with -j$jobs (log: $build/build.log)"
# vmlinux explicitly: arm64's Image target alone would not keep it fresh.
if ! kmake -j"$jobs" "$image" vmlinux > "$build/build.log" 2>&1; then
	grep -E "error|Error" "$build/build.log" | head -n 20 >&2 || true
	die "kernel build failed (full log: $build/build.log)"
fi
store "$build" "$name" "$gen"

#!/bin/sh
# Install the Dovetail recorder into a Dovetail kernel tree, or take it out.
#
#   kernel-debug/apply.sh [--hooks GEN] KSRC     install (idempotent, refreshes)
#   kernel-debug/apply.sh --check [--hooks GEN] KSRC
#                                                say whether it would install
#   kernel-debug/apply.sh -R KSRC                remove
#
# Every file under files/ is copied in at the same path; the hook calls
# are placed by hookedit.awk from hooks/recorder.hooks, each found by its
# function and its statements (never by line, never with fuzz). The tree's
# generation (VERSION.PATCHLEVEL of its Makefile, on a tree that carries
# Dovetail) picks the hooks; a generation the hook set was not written and
# tested for is refused unless --hooks names one to try.
#
# Exactness: every file is computed in a scratch directory first, so a
# hook that does not fit leaves the tree untouched. The originals of the
# files it changes are kept in KSRC/.dovetail-recorder/, so -R gives the
# tree back byte for byte; if writing fails half-way, the files written so
# far are put back as they were before this run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
hookset=$here/hooks/recorder.hooks
edit=$here/hookedit.awk
prog=apply.sh
die() { echo "$prog: $*" >&2; exit 1; }

reverse= check= hookgen=
while [ $# -gt 0 ]; do
	case $1 in
	-R) reverse=1 ;;
	--check) check=1 ;;
	--hooks) [ $# -ge 2 ] || die "--hooks needs a generation, e.g. --hooks 6.6"
		hookgen=$2; shift ;;
	--hooks=*) hookgen=${1#--hooks=} ;;
	-h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option $1 (usage: apply.sh [-R] [--check] [--hooks GEN] KSRC)" ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || die "usage: apply.sh [-R] [--check] [--hooks GEN] KSRC"
ksrc=${1%/}
[ -f "$ksrc/Makefile" ] && [ -d "$ksrc/kernel" ] || die "$ksrc is not a kernel tree"
state=$ksrc/.dovetail-recorder
[ ! -e "$ksrc/.dovetail-recorder-applied" ] ||
	die "$ksrc has the recorder from an older apply.sh (.dovetail-recorder-applied): remove it with that version's apply.sh -R first"

supported=$(sed -n 's/^generations[ 	]\{1,\}//p' "$hookset")
kconfig_line='source "kernel/irq/Kconfig.recorder"'
make_lines='obj-$(CONFIG_DOVETAIL_RECORDER) += dovetail_recorder.o dovetail_recorder_debugfs.o
obj-$(CONFIG_DOVETAIL_RECORDER) += dovetail_recorder_max.o
obj-$(CONFIG_DOVETAIL_RECORDER_SELFTEST) += dovetail_recorder_selftest.o
obj-$(CONFIG_DOVETAIL_RECORDER_FIXTURE) += dovetail_recorder_fixture.o'

scratch=
cleanup() { [ -z "$scratch" ] || rm -rf "$scratch"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

listed() { grep -qxF -- "$1" "$2" 2>/dev/null; }

# The files this run was asked to have written are still as written?
# Anything else means someone edited the tree since: refuse to touch it.
check_written() {
	[ -f "$state/written" ] || return 0
	bad=$(cd "$ksrc" && sha256sum -c --quiet "$state/written" 2>/dev/null |
		sed -n 's/: FAILED.*$//p' | head -n 3 | tr '\n' ' ') || true
	[ -z "$bad" ] ||
		die "$ksrc: ${bad}changed since the recorder was applied; not touching the tree (originals are in $state/orig)"
}

# Put back every original and remove every file and directory the
# recorder brought, then forget the install.
restore_tree() {
	if [ -d "$state/orig" ]; then
		(cd "$state/orig" && find . -type f | sed 's|^\./||') | while IFS= read -r f; do
			cat "$state/orig/$f" > "$ksrc/$f"
		done
	fi
	if [ -f "$state/created" ]; then
		grep -v '/$' "$state/created" | while IFS= read -r f; do
			rm -f "$ksrc/$f"
		done
		grep '/$' "$state/created" | sort -r | while IFS= read -r d; do
			rmdir "$ksrc/$d" 2>/dev/null || true
		done
	fi
	rm -rf "$state"
}

if [ -n "$reverse" ]; then
	[ -d "$state" ] || die "the recorder is not applied to $ksrc"
	check_written
	restore_tree
	echo "$prog: recorder removed from $ksrc"
	exit 0
fi

# --- which hooks ------------------------------------------------------------

[ -f "$ksrc/include/linux/irqstage.h" ] && [ -f "$ksrc/kernel/irq/pipeline.c" ] &&
	grep -qs '^config DOVETAIL$' "$ksrc/kernel/Kconfig.dovetail" ||
	die "$ksrc has no Dovetail (include/linux/irqstage.h, kernel/irq/pipeline.c or 'config DOVETAIL' in kernel/Kconfig.dovetail missing)"
v=$(sed -n 's/^VERSION = \([0-9]*\)$/\1/p' "$ksrc/Makefile")
p=$(sed -n 's/^PATCHLEVEL = \([0-9]*\)$/\1/p' "$ksrc/Makefile")
[ -n "$v" ] && [ -n "$p" ] || die "$ksrc: no VERSION/PATCHLEVEL in its Makefile"
treegen=$v.$p
gen=${hookgen:-$treegen}
case " $supported " in
*" $gen "*) ;;
*)	if [ -n "$hookgen" ]; then
		die "--hooks $hookgen: no such hook set (hook sets: $supported)"
	fi
	die "$ksrc is Dovetail $treegen: no hook set for it (hook sets: $supported); try the nearest with --hooks GEN, see kernel-debug/hooks/README" ;;
esac

check_written

# --- compute every file in a scratch directory -------------------------------

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dtrec-apply.XXXXXX")
mkdir "$scratch/new" "$scratch/before"

# What a file was before the recorder touched it: the kept original, or
# nothing for a file the recorder brought.
base_of() {
	if [ -f "$state/orig/$1" ]; then
		echo "$state/orig/$1"
	elif listed "$1" "$state/created"; then
		echo /dev/null
	else
		echo "$ksrc/$1"
	fi
}

overlay=$(cd "$here/files" && find . -type f | sed 's|^\./||' | sort)
targets=$(sed -n 's/^hook[ 	]\{1,\}\([^ 	]*\).*/\1/p' "$hookset" | sort -u)
for f in $overlay $targets kernel/Kconfig.dovetail kernel/irq/Makefile; do
	if [ -e "$ksrc/$f" ] || [ -L "$ksrc/$f" ]; then
		[ -f "$ksrc/$f" ] && [ ! -L "$ksrc/$f" ] ||
			die "$ksrc/$f is not a regular file; the tree is untouched"
	fi
done
: > "$scratch/list"
for f in $overlay; do
	mkdir -p "$scratch/new/$(dirname "$f")"
	cp "$here/files/$f" "$scratch/new/$f"
	echo "$f" >> "$scratch/list"
done
failed=
for f in $targets; do
	b=$(base_of "$f")
	[ -f "$b" ] || die "$ksrc: $f missing (Dovetail $treegen)"
	mkdir -p "$scratch/new/$(dirname "$f")"
	if ! awk -v gen="$gen" -v target="$f" -f "$edit" "$hookset" "$b" \
			> "$scratch/new/$f" 2> "$scratch/err"; then
		sed "s|^|$prog: |" "$scratch/err" >&2
		failed=1
	fi
	echo "$f" >> "$scratch/list"
done
[ -z "$failed" ] ||
	die "hook set $gen does not fit $ksrc (Dovetail $treegen); the tree is untouched"

append() {
	b=$(base_of "$1")
	[ -f "$b" ] || die "$ksrc: $1 missing"
	mkdir -p "$scratch/new/$(dirname "$1")"
	{ cat "$b"; printf '\n%s\n' "$2"; } > "$scratch/new/$1"
	echo "$1" >> "$scratch/list"
}
append kernel/Kconfig.dovetail "$kconfig_line"
append kernel/irq/Makefile "$make_lines"

if [ -n "$check" ]; then
	echo "$prog: hook set $gen fits $ksrc (Dovetail $treegen); nothing written"
	exit 0
fi

# --- write, undoing this run's writes on any failure -------------------------

[ -d "$state" ] && cp -a "$state" "$scratch/state.before"
: > "$scratch/touched"
: > "$scratch/newdirs"
undo() {
	trap - EXIT
	# Best effort from here on: one file that cannot be put back must not
	# stop the others from being put back.
	set +e
	while IFS= read -r f; do
		if [ -f "$scratch/before/$f" ]; then
			cmp -s "$scratch/before/$f" "$ksrc/$f" ||
				cat "$scratch/before/$f" > "$ksrc/$f"
		else
			rm -f "$ksrc/$f"
		fi
	done < "$scratch/touched"
	sort -r "$scratch/newdirs" | while IFS= read -r d; do
		rmdir "$ksrc/$d" 2>/dev/null
	done
	rm -rf "$state"
	[ ! -d "$scratch/state.before" ] || cp -a "$scratch/state.before" "$state"
	rm -rf "$scratch"
	echo "$prog: writing $ksrc failed; the files this run wrote are back as they were" >&2
	exit 1
}
trap undo EXIT

mkdir -p "$state/orig"
touch "$state/created"
# Directories the overlay creates, recorded before they exist.
for f in $overlay; do
	d=$(dirname "$f")
	while [ "$d" != . ] && [ ! -d "$ksrc/$d" ]; do
		listed "$d/" "$state/created" || echo "$d/" >> "$state/created"
		listed "$d/" "$scratch/newdirs" || echo "$d/" >> "$scratch/newdirs"
		d=$(dirname "$d")
	done
done
while IFS= read -r f; do
	if [ -f "$ksrc/$f" ]; then
		cmp -s "$scratch/new/$f" "$ksrc/$f" && continue
		mkdir -p "$scratch/before/$(dirname "$f")"
		cp "$ksrc/$f" "$scratch/before/$f"
		echo "$f" >> "$scratch/touched"
		if [ ! -f "$state/orig/$f" ] && ! listed "$f" "$state/created"; then
			mkdir -p "$state/orig/$(dirname "$f")"
			cp -p "$ksrc/$f" "$state/orig/$f"
		fi
		cat "$scratch/new/$f" > "$ksrc/$f"
	else
		echo "$f" >> "$scratch/touched"
		listed "$f" "$state/created" || echo "$f" >> "$state/created"
		mkdir -p "$ksrc/$(dirname "$f")"
		cp "$scratch/new/$f" "$ksrc/$f"
	fi
done < "$scratch/list"
# A file an earlier install wrote that this hook set no longer touches
# goes back to what it was.
if [ -f "$state/written" ]; then
	sed 's/^[0-9a-f]*  //' "$state/written" | while IFS= read -r f; do
		listed "$f" "$scratch/list" && continue
		mkdir -p "$scratch/before/$(dirname "$f")"
		cp "$ksrc/$f" "$scratch/before/$f"
		echo "$f" >> "$scratch/touched"
		if [ -f "$state/orig/$f" ]; then
			cat "$state/orig/$f" > "$ksrc/$f"
			rm -f "$state/orig/$f"
		else
			rm -f "$ksrc/$f"
		fi
	done
fi
(cd "$ksrc" && sort "$scratch/list" | xargs sha256sum) > "$state/written"
echo "$gen" > "$state/hooks"
trap cleanup EXIT
echo "$prog: recorder applied to $ksrc (Dovetail $treegen, hook set $gen)"

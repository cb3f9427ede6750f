#!/bin/sh
# Install the Dovetail recorder into a Dovetail kernel tree.
#   kernel-debug/apply.sh KSRC        apply (idempotent)
#   kernel-debug/apply.sh -R KSRC     remove
# Every file under files/ (sources, headers, Kconfig.recorder and
# Documentation/dovetail/recorder.rst) is copied in at the same path;
# hook calls go in through patches/*.patch.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "apply.sh: $*" >&2; exit 1; }

reverse=
[ "${1:-}" = "-R" ] && { reverse=1; shift; }
ksrc=${1:-}
[ -n "$ksrc" ] || die "usage: apply.sh [-R] KSRC"
[ -f "$ksrc/Makefile" ] && [ -d "$ksrc/kernel" ] || die "$ksrc is not a kernel tree"
[ -f "$ksrc/include/linux/irqstage.h" ] && [ -f "$ksrc/kernel/Kconfig.dovetail" ] ||
	die "$ksrc has no Dovetail (include/linux/irqstage.h or kernel/Kconfig.dovetail missing)"

stamp="$ksrc/.dovetail-recorder-applied"
kconfig_line='source "kernel/irq/Kconfig.recorder"'
make_line='obj-$(CONFIG_DOVETAIL_RECORDER) += dovetail_recorder.o dovetail_recorder_debugfs.o
obj-$(CONFIG_DOVETAIL_RECORDER_SELFTEST) += dovetail_recorder_selftest.o
obj-$(CONFIG_DOVETAIL_RECORDER_FIXTURE) += dovetail_recorder_fixture.o'

files=$(cd "$here/files" && find . -type f | sed 's|^\./||')

# Delete the lines matching ERE $2 from file $1, with the blank line that
# the apply step put before them, so that -R gives the file back as it was.
unappend() {
	awk -v re="$2" '
		held && $0 ~ re { held = 0; next }
		held { print ""; held = 0 }
		/^$/ { held = 1; next }
		$0 ~ re { next }
		{ print }
		END { if (held) print "" }' "$1" > "$1.dtrec-tmp" &&
	cat "$1.dtrec-tmp" > "$1" && rm -f "$1.dtrec-tmp"
}

if [ -n "$reverse" ]; then
	[ -f "$stamp" ] || die "recorder not applied to $ksrc"
	for p in "$here"/patches/*.patch; do
		patch -s -R -p1 -d "$ksrc" < "$p" || die "cannot revert $(basename "$p")"
	done
	for f in $files; do rm -f "$ksrc/$f"; done
	# Directories the overlay brought (Documentation/dovetail/) go too,
	# deepest first; rmdir leaves any directory that is not empty.
	for d in $(printf '%s\n' "$files" | sed -n 's|/[^/]*$||p' | sort -ru); do
		rmdir "$ksrc/$d" 2>/dev/null || true
	done
	unappend "$ksrc/kernel/Kconfig.dovetail" '^source "kernel/irq/Kconfig[.]recorder"$'
	unappend "$ksrc/kernel/irq/Makefile" 'dovetail_recorder.*[.]o'
	rm -f "$stamp"
	echo "apply.sh: recorder removed from $ksrc"
	exit 0
fi

# Files are refreshed on every run so edits here reach the tree.
for f in $files; do
	mkdir -p "$ksrc/$(dirname "$f")"
	cp "$here/files/$f" "$ksrc/$f"
done

if [ ! -f "$stamp" ]; then
	for p in "$here"/patches/*.patch; do
		# Dry run first so a tree that does not take a hunk is left untouched.
		patch -s --dry-run -p1 -F3 -d "$ksrc" < "$p" >/dev/null 2>&1 ||
			die "$(basename "$p") does not apply to $ksrc (hook sites differ in this Dovetail generation)"
	done
	for p in "$here"/patches/*.patch; do
		patch -s -p1 -F3 --no-backup-if-mismatch -d "$ksrc" < "$p"
	done
	grep -qxF "$kconfig_line" "$ksrc/kernel/Kconfig.dovetail" ||
		printf '\n%s\n' "$kconfig_line" >> "$ksrc/kernel/Kconfig.dovetail"
	grep -q 'dovetail_recorder\.o' "$ksrc/kernel/irq/Makefile" ||
		printf '\n%s\n' "$make_line" >> "$ksrc/kernel/irq/Makefile"
	touch "$stamp"
fi
echo "apply.sh: recorder applied to $ksrc"

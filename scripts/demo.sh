#!/usr/bin/env bash
# make demo: the main job on the committed sample snapshot.
#   dovetail-trace report, then audit, on tests/data/sample.dtrec, then an
#   SVG timeline in out/demo/timeline.svg.
# Audit findings are results, not failures: exit 0 unless a tool fails
# (dovetail-trace exit 1 or 2, or a crash). DEMO_SAMPLE=FILE uses another
# snapshot.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

prog=demo
sample=${DEMO_SAMPLE:-tests/data/sample.dtrec}
svg=out/demo/timeline.svg
trace=tools/dovetail-trace
die() { echo "$prog: $*" >&2; exit 1; }

[ -f "$sample" ] || die "sample snapshot $sample is missing (see README.md, Sample capture)"
make -s all || die "build failed"

# report may exit non-zero when it finds something, audit exits 3 on
# violations: both are reported and the demo goes on.
run() {
	local rc
	echo "== dovetail-trace $*"
	"$trace" "$@"
	rc=$?
	case $rc in
	0) ;;
	1 | 2) die "dovetail-trace $1 failed (exit $rc)" ;;
	*)
		[ "$rc" -lt 128 ] || die "dovetail-trace $1 died (exit $rc)"
		echo "$prog: $1 exit status $rc (findings above)"
		;;
	esac
	echo
}

run report "$sample"
run audit "$sample"
mkdir -p "$(dirname "$svg")" || die "cannot create $(dirname "$svg")"
run export --format svg -o "$svg" "$sample"
echo "$prog: timeline written to $svg"

# Place the recorder's hook calls in one kernel source file.
#
#   awk -v gen=6.6 -v target=kernel/irq/pipeline.c -f hookedit.awk \
#       hooks/recorder.hooks kernel/irq/pipeline.c > new-pipeline.c
#
# The hook set (first file) says, for each hook, the file, the function
# that holds the hook site, and a run of statements in that function (the
# anchor) to insert after, insert before, or replace. The site is found by
# its function and its statements, never by a line number, so that a hook
# survives code moving around it. Nothing is fuzzy: the function must be
# defined exactly once in the file, and the anchor must occur exactly once
# in its body, or nothing is written and the failing hook is named. The
# format is described in kernel-debug/hooks/README.
#
# Anchor lines are compared with their leading and trailing blanks
# removed; inserted text is copied verbatim.
#
# Written for POSIX awk (Debian's mawk and gawk alike).

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t\r]+$/, "", s)
	return s
}

function fail(msg) {
	printf("%s: %s\n", target, msg) > "/dev/stderr"
	failed = 1
	exit 1
}

# Does this hook apply to the generation we are placing hooks for?
function for_gen(h,    n, i, g) {
	if (only[h] == "")
		return 1
	n = split(only[h], g, " ")
	for (i = 1; i <= n; i++)
		if (g[i] == gen)
			return 1
	return 0
}

# A definition of function f starts on a line at column 0 that names f
# followed by '(' and is not a prototype; its body opens on the first
# line that is '{' alone and closes at the next '}' at column 0. Fills
# def_lo[]/def_hi[] with the lines inside the braces of each definition
# (a header often has a second one, the stub for !CONFIG_IRQ_PIPELINE)
# and returns how many there are.
function find_function(f,    i, j, k, n, hdr, re) {
	re = "(^|[^A-Za-z0-9_])" f "[ \t]*\\("
	n = 0
	for (i = 1; i <= nsrc; i++) {
		if (src[i] !~ re || src[i] ~ /^[ \t#\/*]/)
			continue
		for (j = i; j <= nsrc && j < i + 12; j++) {
			hdr = trim(src[j])
			if (hdr == "{")
				break
			if (hdr ~ /;$/ || hdr ~ /}$/ || hdr ~ /{$/) {
				j = nsrc + 1
				break
			}
		}
		if (j > nsrc || j >= i + 12 || trim(src[j]) != "{")
			continue
		n++
		def_lo[n] = j + 1
		for (k = j + 1; k <= nsrc; k++)
			if (src[k] ~ /^}/)
				break
		def_hi[n] = k - 1
		i = k
	}
	return n
}

# Count the places in [lo, hi] where hook h's anchor starts; the last one
# is left in anchor_at.
function find_anchor(h, lo, hi,    i, k, n, ok) {
	n = 0
	for (i = lo; i + nanchor[h] - 1 <= hi; i++) {
		ok = 1
		for (k = 0; k < nanchor[h]; k++)
			if (trim(src[i + k]) != anchor[h, k]) {
				ok = 0
				break
			}
		if (ok) {
			n++
			anchor_at = i
		}
	}
	return n
}

function where(h) {
	return "hook " h " (" fname[h] ", line " hline[h] " of the hook set)"
}

# First file: the hook set. Keywords stand alone at column 0; the lines
# between them are anchor or text, taken as they are.
FNR == NR {
	line = $0
	if (state == "anchor" || state == "text") {
		if (line == "insert" || line == "with") {
			if (state != "anchor" || (line == "with") != (mode[nh] == "replace"))
				fail("hook set line " FNR ": '" line "' out of place")
			state = "text"
			next
		}
		if (line == "end") {
			if (state != "text")
				fail("hook set line " FNR ": 'end' before the text")
			state = ""
			next
		}
		if (state == "anchor")
			anchor[nh, nanchor[nh]++] = trim(line)
		else
			text[nh, ntext[nh]++] = line
		next
	}
	if (line ~ /^#/ || line ~ /^[ \t]*$/)
		next
	split(line, w, /[ \t]+/)
	if (w[1] == "generations")
		next
	if (w[1] == "hook") {
		nh++
		file[nh] = w[2]
		fname[nh] = w[3]
		hline[nh] = FNR
		only[nh] = ""
		next
	}
	if (w[1] == "only" && nh) {
		sub(/^only[ \t]+/, "", line)
		only[nh] = line
		next
	}
	if ((w[1] == "after" || w[1] == "before" || w[1] == "replace") && nh) {
		mode[nh] = w[1]
		state = "anchor"
		next
	}
	if (w[1] == "first" && nh) {
		mode[nh] = "first"
		state = "anchor"
		next
	}
	fail("hook set line " FNR ": cannot read '" line "'")
}

{
	src[++nsrc] = $0
}

END {
	if (failed)
		exit 1
	if (state != "")
		fail("hook set ends inside a hook")
	for (h = 1; h <= nh; h++) {
		if (file[h] != target || !for_gen(h))
			continue
		# The site: the one place in the function's definitions (the
		# whole file for "-") where the anchor stands.
		if (fname[h] == "-") {
			ndef = 1
			def_lo[1] = 1
			def_hi[1] = nsrc
		} else {
			ndef = find_function(fname[h])
			if (ndef == 0)
				fail(where(h) ": no definition of " fname[h] "()")
		}
		if (mode[h] == "first") {
			if (nanchor[h])
				fail(where(h) ": 'first' takes no anchor")
			if (ndef != 1)
				fail(where(h) ": " fname[h] "() is defined " ndef " times, 'first' needs one")
			at = def_lo[1]
			len = 0
		} else {
			if (!nanchor[h])
				fail(where(h) ": no anchor")
			n = 0
			for (d = 1; d <= ndef; d++)
				if (find_anchor(h, def_lo[d], def_hi[d])) {
					n += find_anchor(h, def_lo[d], def_hi[d])
					at = anchor_at
				}
			if (n != 1)
				fail(where(h) ": anchor '" anchor[h, 0] "' found " n " times in " fname[h] "(), expected once")
			len = nanchor[h]
		}
		for (k = 0; k < len; k++)
			if (gone[at + k])
				fail(where(h) ": anchor overlaps another hook's replaced lines")
		s = ""
		for (k = 0; k < ntext[h]; k++)
			s = s text[h, k] "\n"
		if (mode[h] == "after")
			post[at + len - 1] = post[at + len - 1] s
		else if (mode[h] == "before" || mode[h] == "first")
			pre[at] = pre[at] s
		else {
			for (k = 0; k < len; k++)
				gone[at + k] = 1
			pre[at] = pre[at] s
		}
		placed++
	}
	for (i = 1; i <= nsrc; i++) {
		printf("%s", pre[i])
		if (!gone[i])
			print src[i]
		printf("%s", post[i])
	}
}

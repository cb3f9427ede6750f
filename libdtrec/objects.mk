# The objects of libdtrec, by part, each part a folder of its own; shared
# with crash-ext/Makefile, which compiles the same sources into dovetail.so,
# and tests/fuzz/Makefile. The headers (the API and what the parts share)
# stay at the top.
DTREC_DIRS := format state analysis export
# format: the snapshot stream, its records and their names
DTREC_FORMAT := parse.o build.o merge.o filter.o names.o print.o json.o dumpnotes.o \
	outfile.o text.o irq_meaning.o maxima.o
# state: pipeline state of a live target or a dump, through dtrec_target.h
DTREC_STATE := state.o state_kernel.o state_stages.o state_irqs.o state_tasks.o \
	state_print.o state_names.o
# analysis: the interval model, audit, hang report, the options they share
DTREC_ANALYSIS := intervals.o audit.o report.o options.o idmap.o
# export: trace.dat, Chrome JSON, SVG
DTREC_EXPORT := export_tracedat.o export_chrome.o export_svg.o
DTREC_OBJECTS := $(DTREC_FORMAT) $(DTREC_STATE) $(DTREC_ANALYSIS) $(DTREC_EXPORT)

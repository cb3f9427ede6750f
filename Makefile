# Dovetail debugging toolkit: top-level build.
#   make            build everything that needs no kernel tree
#   make check      run every test tier (unit always, VM per cached kernel)
#   make kernel KSRC=<Dovetail tree> [NAME=...] [HOOKS=GEN]
#                   build a kernel into the cache
#   make vm NAME=...  boot a cached kernel with a shell on the console
#   make bench      benchmarks, printed as ratios against named peers
#   make demo       the main job on the bundled sample trace
PYTHON ?= /usr/bin/python3
export PYTHON
KCACHE ?= $(HOME)/.cache/dovetail-debug
export KCACHE
NAME ?=
HOOKS ?=

SUBDIRS := libdtrec tools crash-ext tests/unit

.PHONY: all check unit kernel vm bench demo clean setup $(SUBDIRS)

all: $(SUBDIRS)

$(SUBDIRS):
	$(MAKE) -C $@

tools crash-ext tests/unit: libdtrec

check: all
	$(PYTHON) tests/run.py

unit: all
	$(PYTHON) tests/run.py --tier unit

kernel:
	HOOKS="$(HOOKS)" scripts/build-kernel.sh "$(KSRC)" "$(NAME)"

vm:
	$(PYTHON) -m tests.harness.shell "$(NAME)"

bench: all
	$(PYTHON) tests/bench/run.py

demo: all
	scripts/demo.sh

setup:
	scripts/setup.sh

clean:
	for d in $(SUBDIRS); do $(MAKE) -C $$d clean; done
	rm -rf out

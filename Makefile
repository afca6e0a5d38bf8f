# The top-level Makefile: everything a learner types at the top.
#
#   make            build every chapter (and lib/ once it has code)
#   make run        the tour: each chapter's demo, in order
#   make test       every test suite; ends with "N passed, N failed"
#   make memcheck   only the valgrind suites (make test runs them too)
#   make sanitize   rebuild with ASan+UBSan and run the other suites
#   make status     which exercises your files pass
#   make bench      minievent against libevent 2.1, side by side
#   make clean
#
# Each chapter also works on its own: make -C chapters/01-blocking-io run.

CHAPTERS  := $(sort $(wildcard chapters/[0-9][0-9]-*))
EXERCISES := $(sort $(wildcard exercises/[0-9][0-9]-*))

.PHONY: all run test memcheck sanitize status bench clean $(CHAPTERS) common lib
all: lib common $(CHAPTERS)

lib:
	@$(MAKE) --no-print-directory -C lib

common:
	@$(MAKE) --no-print-directory -C chapters/common

$(CHAPTERS): common lib
	@$(MAKE) --no-print-directory -C $@

run: all
	@for ch in $(CHAPTERS); do \
		echo; echo "=== $$ch"; \
		$(MAKE) -s --no-print-directory -C $$ch run || exit 1; \
	done

test:
	@tests/run

memcheck:
	@tests/run --memcheck

# The sanitizers and valgrind cannot run together, so the valgrind suites
# are left out here; the build is put back to normal afterwards.
sanitize:
	@$(MAKE) -s clean
	@SANITIZE=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run --no-memcheck; status=$$?; \
		$(MAKE) -s clean; $(MAKE) -s all; exit $$status

status: all
	@tests/status

# Benchmarks report numbers and never fail on speed (tests/bench/README.md).
# They need libevent's development files, which this installs if it can.
bench:
	@$(MAKE) -s --no-print-directory -C lib
	@pkg-config --exists libevent_core 2>/dev/null || \
		tests/install-packages libevent-dev pkg-config || \
		echo "make bench: libevent-dev is missing: the libevent side cannot run"
	@$(MAKE) --no-print-directory -C tests/bench run

clean:
	@for d in lib chapters/common $(CHAPTERS) $(EXERCISES) tests/lib tests/bench tests/seeds; do \
		$(MAKE) -s --no-print-directory -C $$d clean || exit 1; \
	done
	rm -rf tests/out

# exercises/exercise.mk - the rules every exercise's Makefile shares.
#
# An exercise Makefile sets FILES (the files the learner edits, in its own
# directory), defines a `verify` recipe that builds the tests in
# tests/exercises/<exercise>/ against $(SRC_DIR)/$(FILES) into $(BUILD_DIR)
# and runs them (printing "FAIL: ..., expected ..., got ..." lines), and
# includes this file. Then:
#
#   make check              tests your files
#   make check SOLUTION=1   tests the reference solution
#   make check SRC_DIR=DIR  tests the files in DIR (the honesty suite uses it)
#   make hint               shows the next hint; make hint N=2 shows hint 2
#   make clean

EXERCISE   := $(notdir $(CURDIR))
EX_DIR     := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TOP_DIR    := $(abspath $(EX_DIR)/..)
TESTS_DIR  := $(TOP_DIR)/tests/exercises/$(EXERCISE)
COMMON_DIR := $(TOP_DIR)/chapters/common
ifeq ($(SOLUTION),1)
SRC_DIR    := $(TOP_DIR)/exercises/solutions/$(EXERCISE)
endif
SRC_DIR    ?= .
BUILD_DIR  ?= .build

CFLAGS     ?= -O1 -g
EX_CFLAGS   = -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE \
              -I$(COMMON_DIR) -I$(SRC_DIR) $(CFLAGS)
# Each test program gets this long before it is stopped: a stub that hangs
# fails instead of hanging `make check`.
RUN_LIMIT   = timeout -k 5 120

.PHONY: check verify hint files clean
check:
	@if $(MAKE) -s --no-print-directory verify; then \
		echo "PASS: $(EXERCISE) ($(FILES) in $(SRC_DIR))"; \
	else \
		echo "FAIL: $(EXERCISE): see the messages above ('make hint' helps)"; \
		exit 1; \
	fi

hint:
	@sh $(EX_DIR)/hint.sh "$(N)"

files:
	@echo $(FILES)

clean:
	rm -rf .build .hint-level

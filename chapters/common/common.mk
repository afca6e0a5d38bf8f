# common.mk - the build rules every pre-library chapter shares.
#
# A chapter Makefile sets PROGRAMS (one .c file each) and includes this file:
#
#     PROGRAMS = rot13_blocking fetch
#     include ../common/common.mk
#
# and gets `make` (build), `make clean`, and `make test` (the chapter's bats
# suites through tests/run). It defines `run` itself: the chapter's demo.
# Every program is linked with the helpers here (net, rot13, conn, serve).
#
# Knobs: CC=clang to build with clang; SANITIZE=1 for an ASan+UBSan build
# (`make sanitize` at the top uses it).

COMMON_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TOP_DIR    := $(abspath $(COMMON_DIR)/../..)
CHAPTER    := $(notdir $(CURDIR))

CFLAGS   ?= -O2 -g
CSTD      = -std=c11 -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -I$(COMMON_DIR)
LDLIBS   += -pthread
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

COMMON_SRC := $(addprefix $(COMMON_DIR)/,net.c rot13.c conn.c serve.c)
COMMON_HDR := $(addprefix $(COMMON_DIR)/,net.h rot13.h conn.h serve.h)
CHECK      := $(COMMON_DIR)/rot13_check

.PHONY: all clean test
all: $(PROGRAMS) $(CHECK)

$(PROGRAMS): %: %.c $(COMMON_SRC) $(COMMON_HDR)
	$(CC) $(CSTD) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(COMMON_SRC) \
		$(LDFLAGS) $(LDLIBS)

$(CHECK): $(CHECK).c
	$(CC) $(CSTD) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)

clean:
	rm -f $(PROGRAMS) $(EXTRA_CLEAN)

test: all
	$(TOP_DIR)/tests/run --chapter $(CHAPTER)

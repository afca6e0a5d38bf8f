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
# (`make sanitize` at the top uses it); USES_LIB=1 (set by chapters 10 on)
# links minievent, and LIB=libevent the real libevent instead.

.DEFAULT_GOAL := all

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

# Chapters 10 on set USES_LIB = 1 and link minievent (lib/), which this
# builds first; `make LIB=libevent` links the system's libevent 2.1 instead
# (pkg-config libevent_core), to show the same source works with both.
ifeq ($(USES_LIB),1)
ifeq ($(LIB),libevent)
CPPFLAGS += $(shell pkg-config --cflags libevent_core 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs libevent_core 2>/dev/null)
else
LIB_A     := $(TOP_DIR)/lib/libminievent.a
CPPFLAGS += -I$(TOP_DIR)/lib/include
LDLIBS   := $(LIB_A) $(LDLIBS)
$(PROGRAMS): $(LIB_A)
# Always ask lib/'s Makefile; the programs relink only if the archive
# really changed (make looks at its time again after the recipe).
$(LIB_A): FORCE
	@$(MAKE) -s --no-print-directory -C $(TOP_DIR)/lib
FORCE:
endif
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

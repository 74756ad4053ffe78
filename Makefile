# pcipt: one Makefile for the whole tree.
#   make            build build/pcipt (and the library and tests' runner)
#   make check      unit + integration tests (Check), then the system test
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean
# Every library comes from pkg-config (libfdt has no .pc file in Debian 12:
# see FDT_LIBS below).

CC       ?= cc
PKG      ?= pkg-config
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SAN      ?=

BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
LIBEXEC  = $(PREFIX)/lib/pcipt
MANDIR   = $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSCONF  ?= /etc

PKGS      = libpci xencontrol xenstore xendevicemodel xenforeignmemory xenevtchn
FDT_CFLAGS = $(shell $(PKG) --cflags libfdt 2>/dev/null)
FDT_LIBS   = $(shell $(PKG) --libs libfdt 2>/dev/null || echo -lfdt)
DEP_CFLAGS = $(shell $(PKG) --cflags $(PKGS)) $(FDT_CFLAGS)
DEP_LIBS   = $(shell $(PKG) --libs $(PKGS)) $(FDT_LIBS) -lpthread
CHECK_CFLAGS = $(shell $(PKG) --cflags check)
CHECK_LIBS   = $(shell $(PKG) --libs check)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
CFLAGS   ?= -O2 -g
SANFLAGS = $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all,)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DPCIPT_VERSION=\"0.1\" -DPCIPT_LIBEXEC=\"$(LIBEXEC)\" -D__XEN_TOOLS__ $(WARN) $(CFLAGS) $(SANFLAGS) \
             -I. -MMD -MP $(DEP_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_SRC  = $(wildcard hostbridge/*.c) $(wildcard its/*.c) \
           $(filter-out pcipt/main.c,$(wildcard pcipt/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      = $(BUILD)/libpcipt.a

TEST_SRC = $(wildcard tests/unit/*.c) $(wildcard tests/support/*.c)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN = $(BUILD)/tests/check_pcipt

PCIPT    = $(BUILD)/pcipt
# mksysfs DIR DUMP...: a sysfs-shaped tree from lspci dumps (for humans and tests)
MKSYSFS  = $(BUILD)/tests/mksysfs
MKSYSFS_OBJ = $(BUILD)/obj/tests/tools/mksysfs.o $(BUILD)/obj/tests/support/dump.o \
              $(BUILD)/obj/tests/support/sysfs_tree.o

# make bench: hot-path measurements as ratios against same-run baselines
# (tests/bench/, docs/performance.md).
BENCH     = $(BUILD)/bench/pcipt-bench
BENCH_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/bench/*.c)) \
            $(BUILD)/obj/tests/support/dump.o $(BUILD)/obj/tests/support/sysfs_tree.o \
            $(BUILD)/obj/tests/support/ioreq_responder.o

# LD_PRELOAD shim that lets the real xenstored run without a hypervisor
# (tests/xenstored/fakexen.c).  gnu11: xenctrl.h needs GNU extensions; no
# sanitizers: it is loaded into xenstored, not into our binaries.
FAKEXEN  = $(BUILD)/tests/fakexen.so

.PHONY: all check unit check-asan systest demo bench fuzz install clean testdata
all: $(PCIPT) $(FAKEXEN) $(TEST_BIN) $(MKSYSFS) $(BENCH)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(PCIPT): $(BUILD)/obj/pcipt/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(FAKEXEN): tests/xenstored/fakexen.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -shared -fPIC $(DEP_CFLAGS) -o $@ $< -ldl

$(TEST_BIN): $(TEST_OBJ) $(LIB) $(PCIPT) $(FAKEXEN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(DEP_LIBS) $(CHECK_LIBS)

$(MKSYSFS): $(MKSYSFS_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MKSYSFS_OBJ) $(LIB) $(DEP_LIBS)

$(BENCH): $(BENCH_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(BENCH_OBJ) $(LIB) $(DEP_LIBS)

bench: $(BENCH)
	$(BENCH) --src $(abspath .)

# Unit and integration tests (Check).  The runner finds build/pcipt, the
# test data and the xenstored shim relative to the source tree.
unit: all
	PCIPT_BIN=$(abspath $(PCIPT)) PCIPT_SRC=$(abspath .) \
	    PCIPT_FAKEXEN=$(abspath $(FAKEXEN)) $(TEST_BIN)

check: unit

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
check-asan:
	$(MAKE) BUILD=build-asan SAN=address,undefined CFLAGS="-O1 -g" unit

install: $(PCIPT) $(FAKEXEN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PCIPT) $(DESTDIR)$(BINDIR)/pcipt
	# the xenstored shim `pcipt simulate` preloads (found at PCIPT_LIBEXEC)
	install -d $(DESTDIR)$(LIBEXEC)
	install -m 0644 $(FAKEXEN) $(DESTDIR)$(LIBEXEC)/fakexen.so

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/obj/pcipt/main.d $(BUILD)/obj/tests/tools/mksysfs.d \
           $(BENCH_OBJ:.o=.d)

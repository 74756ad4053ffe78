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

PKGS      = libpci xencontrol xenstore xendevicemodel xenforeignmemory xenevtchn xenhypfs xlutil \
            xenlight
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
# TEST_HOOKS=0: a production binary that ignores the test-only environment
# switches (pcipt/util/testenv.h); the Debian package is built so.
TEST_HOOKS ?= 1
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DPCIPT_VERSION=\"0.1\" -DPCIPT_LIBEXEC=\"$(LIBEXEC)\" -DPCIPT_TEST_HOOKS=$(TEST_HOOKS) -D__XEN_TOOLS__ $(WARN) $(CFLAGS) $(SANFLAGS) \
             -I. -MMD -MP $(DEP_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# Every part's sources: hostbridge/ (with common/), its/, pcipt/<part>/.
# The command line (pcipt/cli/) is the binary's, not the library's: library
# code gets its environment as an argument (pcipt/util/env.h).
LIB_SRC  = $(wildcard hostbridge/*.c hostbridge/*/*.c) $(wildcard its/*.c) \
           $(filter-out pcipt/cli/%,$(wildcard pcipt/*/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      = $(BUILD)/libpcipt.a
CLI_OBJ  = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard pcipt/cli/*.c))

TEST_SRC = $(wildcard tests/unit/*/*.c) $(wildcard tests/support/*.c)
# pcipt/util/testenv.c once more, as a production build compiles it
# (TEST_HOOKS=0), under other names, for tests/unit/util/test_testenv.c
TESTENV_OFF = $(BUILD)/obj/tests/testenv_off.o
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/obj/%.o) $(TESTENV_OFF)
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
# LD_PRELOAD shim that plays Linux's PCI driver core (bind, unbind,
# drivers_probe, driver_override) on a sysfs-shaped tree, for the --bind
# tests (tests/drivercore/drivercore.c); loaded into pcipt, so no sanitizers.
DRIVERCORE = $(BUILD)/tests/drivercore.so

.PHONY: all check unit check-asan systest demo bench fuzz fuzz-smoke fuzz-build fuzz-bins install clean testdata deb package-test
all: $(PCIPT) $(FAKEXEN) $(DRIVERCORE) $(TEST_BIN) $(MKSYSFS) $(BENCH)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(TESTENV_OFF): pcipt/util/testenv.c pcipt/util/testenv.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -UPCIPT_TEST_HOOKS -DPCIPT_TEST_HOOKS=0 -Dtest_env=test_env_off \
	    -Dtest_env_enabled=test_env_enabled_off -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(PCIPT): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(FAKEXEN): tests/xenstored/fakexen.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -shared -fPIC $(DEP_CFLAGS) -o $@ $< -ldl

$(DRIVERCORE): tests/drivercore/drivercore.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

$(TEST_BIN): $(TEST_OBJ) $(LIB) $(PCIPT) $(FAKEXEN) $(DRIVERCORE)
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

# Unit and integration tests (Check), after the check that every document a
# comment cites exists (tests/tools/check-doc-refs.sh).  The runner finds
# build/pcipt, the test data and the xenstored shim relative to the source tree.
unit: all
	sh tests/tools/check-doc-refs.sh $(abspath .)
	PCIPT_BIN=$(abspath $(PCIPT)) PCIPT_SRC=$(abspath .) \
	    PCIPT_FAKEXEN=$(abspath $(FAKEXEN)) PCIPT_DRIVERCORE=$(abspath $(DRIVERCORE)) $(TEST_BIN)

# `make check`: the unit and integration tests (Check), the Debian package
# (built, linted, installed and removed in a scratch root), then the system test
# on real Xen under QEMU (tests/system/; SKIP_SYSTEST=1 leaves it out, e.g.
# for a quick local run).
check: unit package-test
ifneq ($(SKIP_SYSTEST),1)
	$(MAKE) systest
endif

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer, which
# run everything several times slower: Check's per-test timeouts are scaled
# (CK_TIMEOUT_MULTIPLIER) so a slow machine does not fail a correct test;
# libxlutil's own small leak on a config it fails to parse is suppressed
# (tests/lsan.supp).
check-asan:
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-4} LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	    $(MAKE) BUILD=build-asan SAN=address,undefined CFLAGS="-O1 -g" unit

# libFuzzer harnesses (tests/fuzz/; docs/testing/fuzz.md), built with clang into
# build-fuzz/: the production sources unchanged, with ASan+UBSan and
# coverage instrumentation.  `make fuzz FUZZ_SECONDS=N` runs each harness N
# seconds; `make fuzz-smoke` (CI) runs each FUZZ_RUNS inputs from a fixed seed,
# so the same commit fuzzes the same inputs everywhere.  New inputs go to
# build-fuzz/corpus/<harness>; tests/fuzz/corpus/<harness> holds the seeds.
FUZZ_NAMES   = cfg ioreq xs sysfs xlcfg hostdt
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
FUZZ_CC      ?= clang
FUZZ_BINS    = $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SUPPORT = $(BUILD)/obj/tests/fuzz/fuzz_topo.o $(BUILD)/obj/tests/support/dump.o \
               $(BUILD)/obj/tests/support/sysfs_tree.o

fuzz-bins: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_NAMES:%=$(BUILD)/obj/tests/fuzz/fuzz_%.o)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_SUPPORT) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_SUPPORT) $(LIB) $(DEP_LIBS)

fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) SAN=fuzzer-no-link,address,undefined \
	    CFLAGS="-O1 -g -DPCIPT_SRC_DIR=\\\"$(abspath .)\\\"" fuzz-bins

fuzz: fuzz-build
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run.sh build-fuzz 0 $(FUZZ_NAMES)

# System test: real Xen 4.17 (IOREQ) on arm64 under QEMU TCG, the cross-built
# pcipt passing QEMU's edu device to a Linux domU (tests/system/; cached in
# build/systest/).  demo: the same testbed, narrated for a person.
systest:
	bash tests/system/systest.sh

demo:
	bash tests/system/systest.sh --demo

# make install [DESTDIR=...] [PREFIX=/usr/local]: the binary, the daemon's
# systemd unit and the host-wide watcher's (ExecStart pointing at the installed binary), the man page,
# the examples under share/doc, the logrotate file for the daemons' logs,
# and /etc/xen/pcipt.conf only when absent.
DOCDIR   = $(PREFIX)/share/doc/pcipt
install: $(PCIPT) $(FAKEXEN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONF)/xen $(DESTDIR)$(LIBEXEC) \
	    $(DESTDIR)$(SYSCONF)/logrotate.d
	install -m 0644 toolstack-hooks/pcipt.logrotate $(DESTDIR)$(SYSCONF)/logrotate.d/pcipt
	install -m 0755 $(PCIPT) $(DESTDIR)$(BINDIR)/pcipt
	# the xenstored shim `pcipt simulate` preloads (found at PCIPT_LIBEXEC)
	install -m 0644 $(FAKEXEN) $(DESTDIR)$(LIBEXEC)/fakexen.so
	sed 's|@BINDIR@|$(BINDIR)|g' toolstack-hooks/pciptd@.service > $(DESTDIR)$(UNITDIR)/pciptd@.service.tmp
	mv $(DESTDIR)$(UNITDIR)/pciptd@.service.tmp $(DESTDIR)$(UNITDIR)/pciptd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pciptd@.service
	sed 's|@BINDIR@|$(BINDIR)|g' toolstack-hooks/pcipt-watch.service > $(DESTDIR)$(UNITDIR)/pcipt-watch.service.tmp
	mv $(DESTDIR)$(UNITDIR)/pcipt-watch.service.tmp $(DESTDIR)$(UNITDIR)/pcipt-watch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pcipt-watch.service
	install -m 0644 toolstack-hooks/pcipt.1 $(DESTDIR)$(MANDIR)/man1/pcipt.1
	install -m 0644 toolstack-hooks/examples/guest-pcipt.cfg toolstack-hooks/examples/pcipt.conf \
	    $(DESTDIR)$(DOCDIR)/examples/
	test -e $(DESTDIR)$(SYSCONF)/xen/pcipt.conf || \
	    install -m 0644 toolstack-hooks/examples/pcipt.conf $(DESTDIR)$(SYSCONF)/xen/pcipt.conf

# make deb: the Debian package (toolstack-hooks/debian/ is its debian/
# directory), built by dpkg-buildpackage in a staging copy of the tracked
# tree: $(BUILD)/deb/pcipt_<version>_<arch>.deb.  package-test builds it,
# runs lintian and installs, runs and removes it in a scratch root.
deb:
	bash toolstack-hooks/debian/build-deb.sh $(BUILD)/deb

package-test:
	bash tests/package/test-deb.sh $(BUILD)/deb

clean:
	rm -rf build build-asan build-clang build-fuzz

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/obj/tests/tools/mksysfs.d \
           $(BENCH_OBJ:.o=.d) $(wildcard $(BUILD)/obj/tests/fuzz/*.d)

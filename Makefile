# SPDX-License-Identifier: GPL-2.0-only
# kchaos-lua: build, install, test. `make V=1` shows full commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/kchaos-lua
MANDIR ?= $(PREFIX)/share/man/man1
DESTDIR ?=
VERSION := 0.1.0

PKGS := luajit libbcc libbpf zlib libelf yaml-0.1 libedit
PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g
KC_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Iinclude -Ibpf \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) \
	-DKC_VERSION='"$(VERSION)"' -DKC_DATADIR='"$(DATADIR)"'
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl -lm

# SANITIZE=1: AddressSanitizer and UBSan, built apart in build/asan/ (the program is
# build/asan/kchaos-lua), so ./kchaos-lua stays uninstrumented; `make test-asan` uses it.
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
BUILD ?= build/asan
BIN ?= build/asan/kchaos-lua
endif
BUILD ?= build
BIN ?= kchaos-lua

ifneq ($(V),1)
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
quiet =
endif

SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
DEPS := $(OBJS:.o=.d)

.DELETE_ON_ERROR:
.PHONY: all clean install uninstall test test-lua test-c test-vm test-asan deps vm-kernel \
	check-deps

all: $(BIN) $(if $(filter 1,$(SANITIZE)),,build/kchaos/yaml.so)

$(BIN): $(OBJS)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(call quiet,CC,$@)$(CC) $(KC_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD):
	$(Q)mkdir -p $(BUILD)

# The YAML binding as a Lua module too, for the specs that busted runs without the host.
build/kchaos/yaml.so: src/kc_yaml.c include/kc_yaml.h
	$(Q)mkdir -p build/kchaos
	$(call quiet,CC,$@)$(CC) $(KC_CFLAGS) $(CFLAGS) -DKC_YAML_MODULE -shared -fPIC -o $@ $< \
		$(shell $(PKG_CONFIG) --libs yaml-0.1)

-include $(DEPS)

clean:
	$(call quiet,CLEAN,build)rm -rf build kchaos-lua

install: kchaos-lua
	$(call quiet,INSTALL,$(DESTDIR)$(PREFIX))install -d $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(DATADIR)/lua/kchaos $(DESTDIR)$(DATADIR)/bpf \
		$(DESTDIR)$(DATADIR)/src/vm $(DESTDIR)$(MANDIR)
	$(Q)install -m 0755 kchaos-lua $(DESTDIR)$(BINDIR)/kchaos-lua
	$(Q)install -m 0644 lua/kchaos/*.lua $(DESTDIR)$(DATADIR)/lua/kchaos/
	$(Q)install -m 0644 bpf/*.h $(DESTDIR)$(DATADIR)/bpf/
	$(Q)install -m 0644 src/vm/kernel.config $(DESTDIR)$(DATADIR)/src/vm/
	$(Q)install -m 0755 src/vm/*.sh $(DESTDIR)$(DATADIR)/src/vm/
	$(Q)install -m 0644 docs/kchaos-lua.1 $(DESTDIR)$(MANDIR)/kchaos-lua.1

uninstall:
	$(call quiet,RM,$(DESTDIR)$(PREFIX))rm -f $(DESTDIR)$(BINDIR)/kchaos-lua \
		$(DESTDIR)$(MANDIR)/kchaos-lua.1
	$(Q)rm -rf $(DESTDIR)$(DATADIR)

# Debian packages the project needs; installs only those missing.
DEB_PKGS := build-essential pkg-config libluajit-5.1-dev luajit libbpfcc-dev libbpf-dev \
	libelf-dev zlib1g-dev lua-busted lua-cjson qemu-system-x86 linux-source-6.1 flex bison \
	bc libssl-dev cpio xz-utils busybox-static libedit-dev libyaml-dev bpfcc-tools \
	e2fsprogs tmux
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f '$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || \
		echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq $$missing >/dev/null; \
	else echo "all build and test dependencies are installed"; fi

vm-kernel:
	@src/vm/build-kernel.sh

test: kchaos-lua
	@tests/run-all.sh

test-lua:
	@tests/run-all.sh lua

test-c: kchaos-lua
	@tests/run-all.sh c

test-vm: kchaos-lua
	@tests/run-all.sh vm

# The importers under libFuzzer, 600 s each by default; see tests/fuzz/RESULTS.md.
fuzz:
	@tests/fuzz/fuzz.sh $(FUZZ_SECONDS)

# The benchmarks against inject-bpfcc and the bare kernel, in the guest; see
# docs/performance.md. Other guests running meanwhile share the CPUs and skew them.
.PHONY: bench
bench: kchaos-lua build/bench/hot
	@KCHAOS_BENCH_HOST_LOAD="$$(cut -d ' ' -f 1-3 /proc/loadavg)" \
		src/vm/run-guest.sh --timeout 1800 -- bench/run.sh

build/bench/hot: bench/hot.c
	$(Q)mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) -O2 -Wall -Wextra -o $@ $<

# C unit tests: tests/c/test_NAME.c becomes $(BUILD)/tests/test_NAME (tests/c/run.sh).
$(BUILD)/tests/test_%: tests/c/test_%.c $(filter-out $(BUILD)/kc_main.o,$(OBJS))
	$(Q)mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(KC_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The host tests and the bad-input corpus against the sanitized build, leak checks on.
# LuaJIT, libbcc and LLVM are not instrumented; LuaJIT's own allocator is invisible to
# LeakSanitizer (see docs/safety.md). A sanitizer report ends the program with status 86
# (AddressSanitizer, LeakSanitizer) or 87 (UBSan), which no test accepts.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
	UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
	KCHAOS_BIN=build/asan/kchaos-lua KCHAOS_DATADIR=$(CURDIR) \
	KCHAOS_MAKEFLAGS=SANITIZE=1 KCHAOS_BUILD=build/asan
test-asan:
	@$(MAKE) -s SANITIZE=1 build/asan/kchaos-lua
	@$(SAN_ENV) tests/run-all.sh c bad

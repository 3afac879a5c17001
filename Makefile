# SPDX-License-Identifier: GPL-2.0-only
# kchaos-lua: build, install, test. `make V=1` shows full commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/kchaos-lua
MANDIR ?= $(PREFIX)/share/man/man1
DESTDIR ?=
VERSION := 0.1.0

PKGS := luajit libbcc libbpf zlib libelf yaml-0.1
PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g
KC_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Iinclude -Ibpf \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) \
	-DKC_VERSION='"$(VERSION)"' -DKC_DATADIR='"$(DATADIR)"'
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl -lm

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifneq ($(V),1)
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
quiet =
endif

SRCS := $(wildcard src/*.c)
OBJS := $(patsubst src/%.c,build/%.o,$(SRCS))
DEPS := $(OBJS:.o=.d)

.DELETE_ON_ERROR:
.PHONY: all clean install uninstall test test-lua test-c test-vm deps vm-kernel check-deps

all: kchaos-lua build/kchaos/yaml.so

kchaos-lua: $(OBJS)
	$(call quiet,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: src/%.c | build
	$(call quiet,CC,$@)$(CC) $(KC_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build:
	$(Q)mkdir -p build

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

tests/c/test_sys: tests/c/test_sys.c $(filter-out build/kc_main.o,$(OBJS))
	$(call quiet,CC,$@)$(CC) $(KC_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

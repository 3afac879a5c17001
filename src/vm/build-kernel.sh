#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Builds the guest kernel for kchaos-lua from Debian's linux-source-6.1 package:
# allnoconfig plus kernel.config, every wanted option verified, the result cached
# under a key made of the source version, the fragment and this recipe's revision.
# Prints the path of the cached bzImage on stdout; progress goes to stderr.
set -eu

recipe=3
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${KCHAOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kchaos-lua}

say() { printf 'kchaos-lua: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ -r "$tarball" ] || die "$tarball is missing; fix: apt-get install linux-source-6.1"
for tool in make gcc flex bison bc xz cpio perl; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' is missing; fix: make deps (or apt-get install build-essential flex bison bc xz-utils cpio)"
done

version=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || echo unknown)
key=$( { echo "recipe $recipe"; echo "source $version"; cat "$fragment"; } |
	sha256sum | cut -c1-16)
out=$cache/kernel-$key
mkdir -p "$cache"

# One builder at a time per cache; a second caller waits and then finds the result.
exec 9>"$cache/.lock-$key"
if ! flock -n 9; then
	say "another build of this kernel is running; waiting for it"
	flock 9
fi

if [ -s "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

work=$cache/build-$key
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
say "building guest kernel $version (key $key, about 6 minutes on 2 cores)"
say "log: $work.log"
tar -C "$work" -xJf "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
jobs=$(( $(nproc) + 1 ))

{
	make -C "$src" allnoconfig
	(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config "$fragment")
	make -C "$src" olddefconfig
} >"$work.log" 2>&1 || die "configuring the kernel failed; see $work.log"

# merge_config.sh drops options with unmet dependencies silently: check each one.
missing=""
for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$fragment"); do
	grep -qx "$opt=y" "$src/.config" || missing="$missing $opt"
done
[ -z "$missing" ] || die "the guest kernel config lacks:$missing (check their dependencies in $fragment)"

make -C "$src" -j"$jobs" bzImage >>"$work.log" 2>&1 ||
	die "building the kernel failed; see $work.log (last lines: $(tail -n 3 "$work.log" | tr '\n' ' '))"

# Keep the image, its config and its headers (for compiling BPF C on the host).
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/headers"
cp "$src/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$src/.config" "$tmp/config"
tar -C "$tmp/headers" -xJf "$src/kernel/kheaders_data.tar.xz"
echo "$version" >"$tmp/version"
rm -rf "$out"
mv "$tmp" "$out"
rm -f "$work.log"
say "guest kernel ready: $out/bzImage"
echo "$out/bzImage"

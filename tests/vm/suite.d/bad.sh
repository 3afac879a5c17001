# SPDX-License-Identifier: GPL-2.0-only
# The bad-input corpus (tests/bad) in the guest, where the kernel's error-injection list
# is readable: its kernel cases run too, and no case may leave a kprobe. Sourced by
# tests/vm/suite.sh.

case_run bad-corpus tests/bad/run.sh

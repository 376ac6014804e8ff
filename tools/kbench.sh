#!/bin/bash
# Courage against Linux 6.1 under the same QEMU, in one session: the
# ../shared/bench kbench run on both kernels, in icount mode (guest
# instructions per operation, deterministic) and in wall-clock mode, then
# the side-by-side tables the README shows.
#
#   tools/kbench.sh                # 1 icount boot + 3 wall boots per kernel
#   RUNS=5 tools/kbench.sh         # more wall-clock boots
#   OUT=/tmp/kb tools/kbench.sh    # where logs go (default target/kbench)
#
# Needs what ../shared/bench needs (qemu-system-x86, musl-tools, cpio) and
# builds the release kernel first.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$repo/../shared/bench}
out=${OUT:-$repo/target/kbench}
runs=${RUNS:-3}
[ -x "$bench/run.sh" ] || { echo "kbench.sh: no $bench/run.sh" >&2; exit 1; }
(cd "$repo" && cargo xtask build --release >/dev/null)
kernel=$repo/target/kernel/x86_64-unknown-linux-gnu/release/courage
rm -rf "$out"
mkdir -p "$out"
run() { # label kernel-or-empty icount runs
	local label=$1 k=$2 icount=$3 n=$4 extra=()
	[ -z "$k" ] || extra=(KERNEL="$k" APPEND="console=ttyS0 quiet")
	env RUNS="$n" ICOUNT="$icount" SKIP_HOST=1 OUT="$out/$label" "${extra[@]}" \
		"$bench/run.sh" >"$out/$label.txt" 2>&1
}
run linux-icount "" 0 1
run courage-icount "$kernel" 0 1
run linux-wall "" "" "$runs"
run courage-wall "$kernel" "" "$runs"
for mode in icount wall; do
	echo "== $mode (Courage/Linux; icount: guest instructions per operation)"
	"$bench/compare.sh" -a linux -b courage "$out/linux-$mode"/guest-*.log -- \
		"$out/courage-$mode"/guest-*.log
done | tee "$out/summary.md"

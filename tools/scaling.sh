#!/bin/bash
# SMP scaling: N copies of a kbench benchmark at once on N virtual CPUs
# (N = 1, 2, 4), Linux 6.1 and Courage booted the same way under the same
# QEMU (multi-threaded TCG, one host thread per virtual CPU), wall clock.
# Prints the total throughput (operations per second, summed over the
# copies) for fork+exit, pipe round trips and page faults, per kernel and
# CPU count.
#
#   tools/scaling.sh                 # CPUS="1 2 4", SCALE=50 (kbench -s),
#                                    # ROUNDS=3 (the median round is shown)
#
# The host's cores bound what any guest can gain: with 2 host cores, 4
# virtual CPUs share them. Uses ../shared/bench for Linux's kernel,
# busybox and kbench (fetch.sh, build.sh) and builds the release kernel.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$repo/../shared/bench}
. "$bench/common.sh"
cpus_list=${CPUS:-1 2 4}
scale=${SCALE:-50}
rounds=${ROUNDS:-3}
out=${OUT:-$repo/target/scaling}
if ! command -v cpio >/dev/null; then
	echo "scaling.sh: installing cpio with apt-get (it packs the initramfs)" >&2
	apt-get install -y cpio >/dev/null
fi
"$bench/fetch.sh" >/dev/null
"$bench/build.sh" >/dev/null
(cd "$repo" && cargo xtask build --release >/dev/null)
courage=$repo/target/kernel/x86_64-unknown-linux-gnu/release/courage
linux=$KBENCH_CACHE/vmlinuz
rm -rf "$out"
mkdir -p "$out/root/bin" "$out/root/proc" "$out/root/dev" "$out/root/tmp"
cp "$KBENCH_CACHE/busybox" "$out/root/bin/busybox"
cp "$KBENCH_WORK/bin/kbench" "$KBENCH_WORK/bin/ktrue" "$out/root/bin/"
for applet in sh mount poweroff cat nproc seq; do ln -s busybox "$out/root/bin/$applet"; done
# Linux needs device nodes in the initramfs: the console for its
# output, /dev/null for the shell's background jobs.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$out/root/dev/console" c 5 1
	mknod -m 666 "$out/root/dev/null" c 1 3
else
	echo "scaling.sh: run as root (mknod /dev/console for Linux's init)" >&2
	exit 1
fi
cat >"$out/root/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t tmpfs tmpfs /tmp
n=\$(/bin/busybox nproc)
echo
for round in \$(/bin/busybox seq 1 $rounds); do
	for b in fork_exit pipe pagefault; do
		for i in \$(/bin/busybox seq 1 \$n); do
			/bin/kbench -P -s $scale -t /bin/ktrue \$b >/tmp/\$b.\$i 2>&1 &
		done
		wait
		/bin/busybox cat /tmp/\$b.* | /bin/busybox grep '^kbench ' | /bin/busybox sed "s/^/scaling \$n \$round /"
	done
done
/bin/busybox poweroff -f
INIT
chmod 755 "$out/root/init"
(cd "$out/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$out/initramfs.cpio")
boot() { # kernel append cpus
	timeout 900 qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -m 512M \
		-smp "$3" -nographic -no-reboot -kernel "$1" -initrd "$out/initramfs.cpio" \
		-append "$2" </dev/null 2>&1 | tr -d '\r' | grep '^scaling '
}
for cpus in $cpus_list; do
	boot "$linux" "console=ttyS0 quiet panic=-1" "$cpus" | sed 's/^/linux /' >>"$out/raw.txt"
	boot "$courage" "console=ttyS0 quiet" "$cpus" | sed 's/^/courage /' >>"$out/raw.txt"
done
# raw: KERNEL scaling N ROUND kbench NAME ITERATIONS NS_PER_OP -> ops/s
# summed over the copies of a round; the median round is shown.
{
	echo "| benchmark | CPUs | Linux 6.1 ops/s | Courage ops/s | Courage / Linux |"
	echo "|---|---:|---:|---:|---:|"
	awk '$6 != "ctxsw" {
			round = $1 " " $6 " " $3 " " $4
			if (!(round in ops)) { count[$1 " " $6 " " $3]++; slot[round] = count[$1 " " $6 " " $3] }
			ops[round] += 1e9 / $8; keys[$6 " " $3] = 1
		}
		function median(kernel, key,   n, i, j, v, t, r) {
			n = 0
			for (r in ops) if (index(r, kernel " " key " ") == 1) v[++n] = ops[r]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			return n ? v[int((n + 1) / 2)] : 0
		}
		END {
			for (key in keys) {
				l = median("linux", key); c = median("courage", key)
				split(key, k, " ")
				printf "| %s | %s | %.0f | %.0f | %.2f |\n", k[1], k[2], l, c, (l > 0 ? c / l : 0)
			}
		}' "$out/raw.txt" | sort -t'|' -k2,2 -k3,3n
} | tee "$out/summary.md"

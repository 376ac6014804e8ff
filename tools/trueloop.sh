#!/bin/bash
# What a shell user feels: a busybox `sh` loop running /bin/true (a link to
# the 2 MB static busybox) 300 times, timed by the guest's /proc/uptime, on
# Linux 6.1 and on Courage under the same QEMU, in wall-clock mode and in
# icount mode (where the guest clock counts instructions: "ns" = guest
# instructions). Prints the time per process for each.
#
#   tools/trueloop.sh              # COUNT=300 processes, 1 boot per mode
#
# Uses ../shared/bench for Linux's kernel and busybox (fetch.sh) and builds
# the release kernel.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$repo/../shared/bench}
. "$bench/common.sh"
count=${COUNT:-300}
out=${OUT:-$repo/target/trueloop}
"$bench/fetch.sh" >/dev/null
(cd "$repo" && cargo xtask build --release >/dev/null)
courage=$repo/target/kernel/x86_64-unknown-linux-gnu/release/courage
linux=$KBENCH_CACHE/vmlinuz
rm -rf "$out"
mkdir -p "$out/root/bin" "$out/root/proc" "$out/root/sys" "$out/root/dev" "$out/root/tmp"
cp "$KBENCH_CACHE/busybox" "$out/root/bin/busybox"
for applet in sh true mount poweroff cat echo; do ln -s busybox "$out/root/bin/$applet"; done
cat >"$out/root/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
read start _ </proc/uptime
i=0
while [ \$i -lt $count ]; do /bin/true; i=\$((i + 1)); done
read end _ </proc/uptime
echo "trueloop $count \$start \$end"
/bin/busybox poweroff -f
INIT
chmod 755 "$out/root/init"
(cd "$out/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$out/initramfs.cpio")
boot() { # kernel append icount
	local args=(-machine q35 -accel tcg -cpu max -m 512M -smp 1 -nographic -no-reboot
		-kernel "$1" -initrd "$out/initramfs.cpio" -append "$2")
	[ -z "$3" ] || args+=(-icount "shift=$3")
	timeout 600 qemu-system-x86_64 "${args[@]}" </dev/null 2>&1 | tr -d '\r' |
		grep -o 'trueloop [0-9]* [0-9.]* [0-9.]*' |
		awk -v n="$count" '{ printf "%.0f", ($4 - $3) * 1e9 / n }'
}
{
printf "| mode | Linux 6.1 per process | Courage per process | Courage / Linux |\n|---|---:|---:|---:|\n"
for mode in wall icount; do
	icount=""
	[ $mode = wall ] || icount=0
	l=$(boot "$linux" "console=ttyS0 quiet panic=-1" "$icount")
	c=$(boot "$courage" "console=ttyS0 quiet" "$icount")
	unit=ns
	[ $mode = wall ] || unit=instructions
	awk -v m=$mode -v l="$l" -v c="$c" -v u=$unit 'BEGIN { printf "| %s | %d %s | %d %s | %.2f |\n", m, l, u, c, u, (l > 0 ? c / l : 0) }'
done
} | tee "$out/summary.md"

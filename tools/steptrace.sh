#!/bin/bash
# Single-steps one iteration of a system-call loop on the release kernel
# under gdb and attributes every guest instruction, user and kernel, to
# its function: where the instructions of a kbench figure go.
#
#   tools/steptrace.sh signal            # kill(self) + handler + sigreturn
#   tools/steptrace.sh read              # also: null, write, pipe (a round trip)
#   tools/steptrace.sh read --lines read_pass   # per source line inside it
#
# The program (tools/steptrace/loop.c) calls marker() before each
# operation; after 100 warm-up iterations gdb steps from one marker() to
# the next (QEMU starts halted until gdb attaches). Needs gdb, musl-gcc, cpio and qemu; builds the release kernel
# and the test initramfs. Output goes to target/steptrace/.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
what=${1:?usage: tools/steptrace.sh signal|null|read|write|pipe [--lines FUNCTION]}
shift
out=$repo/target/steptrace
for tool in gdb musl-gcc cpio qemu-system-x86_64 addr2line; do
	command -v "$tool" >/dev/null || { echo "steptrace.sh: needs $tool" >&2; exit 1; }
done
(cd "$repo" && cargo xtask build --release && cargo xtask initramfs) >/dev/null 2>&1 ||
	{ echo "steptrace.sh: the build failed (run cargo xtask build --release)" >&2; exit 1; }
kernel=$repo/target/kernel/x86_64-unknown-linux-gnu/release/courage
rm -rf "$out/root" && mkdir -p "$out/root"
musl-gcc -static -O2 -fno-pie -no-pie -Wl,-Ttext-segment=0x10000000 \
	-o "$out/loop" "$repo/tools/steptrace/loop.c"
marker=$(nm "$out/loop" | awk '$3 == "marker" { print $1 }')
(cd "$out/root" && cpio -idm --quiet <"$repo/target/courage/initramfs-test.cpio")
cp "$out/loop" "$out/root/loop"
printf 'mount -t proc proc /proc\n/loop %s\npoweroff -f\n' "$what" >"$out/root/run.sh"
(cd "$out/root" && find . | cpio -o -H newc --quiet) >"$out/initrd.cpio"
port=$((20000 + RANDOM % 10000))
timeout 300 qemu-system-x86_64 -machine q35 -cpu max -smp 1 -m 1G -no-reboot \
	-S -gdb tcp:127.0.0.1:$port -display none -monitor none -serial file:"$out/serial.log" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$kernel" \
	-append "panic=exit init=/bin/sh -- /run.sh" -initrd "$out/initrd.cpio" 2>"$out/qemu.log" &
qemu=$!
sleep 1
MARKER=$marker PORT=$port OUT="$out/$what.pcs" timeout 280 \
	gdb -q -batch -x "$repo/tools/steptrace/step.py" >"$out/gdb.log" 2>&1 || true
wait $qemu || true
[ -s "$out/$what.pcs" ] || { echo "steptrace.sh: no trace; see $out/gdb.log" >&2; exit 1; }
python3 "$repo/tools/steptrace/attribute.py" "$out/$what.pcs" "$kernel" "$out/loop" "$@"

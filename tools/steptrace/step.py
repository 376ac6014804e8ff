# gdb script: after SKIP passes through MARKER (warm-up), single-steps
# from one marker() to the next and writes every pc, one per line, to OUT.
import os
import gdb

marker = int(os.environ["MARKER"], 16)
skip = int(os.environ.get("SKIP", "100"))
out = os.environ["OUT"]
gdb.execute("set pagination off")
gdb.execute("set architecture i386:x86-64")
gdb.execute("target remote 127.0.0.1:" + os.environ.get("PORT", "1234"))
gdb.execute("hbreak *%#x" % marker)
for _ in range(skip):
    gdb.execute("continue", to_string=True)
gdb.execute("delete")
pcs = []
while len(pcs) < 200000:
    gdb.execute("stepi", to_string=True)
    pc = int(gdb.parse_and_eval("$pc")) & 0xFFFFFFFFFFFFFFFF
    if pc == marker:
        break
    pcs.append(pc)
with open(out, "w") as f:
    f.writelines("%x\n" % pc for pc in pcs)
gdb.execute("kill")

# Python's pty module on a pseudo-terminal: pty.fork() runs a child on a
# new terminal as its controlling terminal; the parent types at the
# master and reads what the child and the line discipline write back
# (echo, ONLCR); tty.setraw turns echo off. Prints "python pty ok".
import os
import pty
import signal
import sys
import tty

pending = b""


def timed_out(signum, frame):
    raise SystemExit("pty_test: timed out; the terminal showed %r" % pending)


# A hang fails with a message instead of blocking the test run.
signal.signal(signal.SIGALRM, timed_out)
signal.alarm(20)


def read_until(fd, marker):
    """What the terminal showed up to and including `marker`; the rest
    stays for the next call."""
    global pending
    while marker not in pending:
        chunk = os.read(fd, 1024)
        if not chunk:
            raise SystemExit("end of file before %r in %r" % (marker, pending))
        pending += chunk
    end = pending.index(marker) + len(marker)
    shown, pending = pending[:end], pending[end:]
    return shown


pid, master = pty.fork()
if pid == 0:
    assert os.isatty(0) and os.isatty(1)
    name = os.ttyname(0)
    print("child on " + name, flush=True)
    line = sys.stdin.readline()
    print("got " + line.strip(), flush=True)
    tty.setraw(0)
    os.write(1, b"raw\n")
    data = os.read(0, 5)
    os.write(1, b"[" + data + b"]")
    os._exit(7)

shown = read_until(master, b"\r\n")
assert shown.startswith(b"child on /dev/pts/"), shown
os.write(master, b"hello\r")
shown = read_until(master, b"got hello\r\n")
assert b"hello\r\n" in shown, shown  # the echo, ONLCR applied
read_until(master, b"raw\n")  # raw: no ONLCR
os.write(master, b"abc\r\n")  # raw: no echo, CR not translated
shown = read_until(master, b"]")
assert shown == b"[abc\r\n]", shown
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 7, status
print("python pty ok")

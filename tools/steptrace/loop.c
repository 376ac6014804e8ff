/* One operation per iteration, with a call to marker() before each: the
 * tracer single-steps from one marker() to the next. Built static and
 * linked at 0x10000000, away from busybox's code, so the breakpoint
 * catches this program only. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static void on_usr1(int s) { (void)s; hits++; }
__attribute__((noinline)) void marker(void) { __asm__ volatile("" ::: "memory"); }

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "signal";
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, 0);
	pid_t me = getpid();
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	char c = 0;
	int op = !strcmp(what, "signal") ? 0 : !strcmp(what, "null") ? 1
		: !strcmp(what, "read") ? 2 : !strcmp(what, "write") ? 3
		: !strcmp(what, "pipe") ? 4 : -1;
	if (op < 0)
		return 2;
	/* pipe: a round trip through a child that echoes each byte back
	 * (two context switches an iteration, both traced). */
	int to_child[2], to_parent[2];
	if (op == 4) {
		if (pipe(to_child) || pipe(to_parent))
			return 1;
		pid_t child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			while (read(to_child[0], &c, 1) == 1)
				if (write(to_parent[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < 2000; i++) {
		marker();
		switch (op) {
		case 0: kill(me, SIGUSR1); break;
		case 1: syscall(SYS_getpid); break;
		case 2: if (read(zero, &c, 1) != 1) return 1; break;
		case 3: if (write(null, &c, 1) != 1) return 1; break;
		case 4:
			if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
				return 1;
			break;
		}
	}
	return 0;
}

/* PTRACE_SEIZE, INTERRUPT and LISTEN as strace uses them: seizing does not
 * stop the tracee; INTERRUPT stops it with PTRACE_EVENT_STOP; a group-stop
 * is reported as PTRACE_EVENT_STOP with the stopping signal; LISTEN keeps
 * it stopped until SIGCONT, which is reported as PTRACE_EVENT_STOP with
 * SIGTRAP before SIGCONT's own delivery stop; a seized tracer's forked
 * children start with PTRACE_EVENT_STOP and exec without the legacy
 * SIGTRAP, and a signal is delivered with the siginfo its tracer set.
 * Statuses as Linux 6.1 reports them. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define EVENT_STOP(sig) ((PTRACE_EVENT_STOP << 16) | ((sig) << 8) | 0x7f)

/* The next status of `pid`, waiting up to a second; 0 if none came. */
static int next_status(pid_t pid) {
    for (int i = 0; i < 100; i++) {
        int status;
        pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
        CHECK(got >= 0);
        if (got == pid) return status;
        usleep(10 * 1000);
    }
    return 0;
}

/* No status within a fifth of a second. */
static void quiet_at(pid_t pid, int line) {
    usleep(200 * 1000);
    int status;
    pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
    if (got != 0) {
        fprintf(stderr, "line %d: unexpected status %#x\n", line, status);
        exit(1);
    }
}
#define quiet(pid) quiet_at(pid, __LINE__)

static void reap_killed(pid_t pid) {
    CHECK_EQ(kill(pid, SIGKILL), 0);
    int status;
    CHECK_EQ(waitpid(pid, &status, __WALL), pid);
    while (!WIFSIGNALED(status)) CHECK_EQ(waitpid(pid, &status, __WALL), pid);
    CHECK_EQ(WTERMSIG(status), SIGKILL);
}

static void running_tracee(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        for (;;) pause();
    }
    usleep(50 * 1000);
    errno = 0;
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 1, 0), -1); /* addr must be 0 */
    CHECK_EQ(errno, EIO);
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 0, 0x80000000ul), -1);
    CHECK_EQ(errno, EIO);
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACESYSGOOD), 0);
    quiet(child); /* seizing does not stop it */
    errno = 0;
    CHECK_EQ(ptrace(PTRACE_LISTEN, child, 0, 0), -1);
    CHECK(errno == ESRCH || errno == EIO);

    CHECK_EQ(ptrace(PTRACE_INTERRUPT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP));
    /* Stopped already: the second interrupt stops it again once resumed. */
    CHECK_EQ(ptrace(PTRACE_INTERRUPT, child, 0, 0), 0);
    quiet(child);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP));
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    quiet(child);

    /* SIGSTOP: its delivery stop, then the group-stop, then LISTEN. */
    CHECK_EQ(kill(child, SIGSTOP), 0);
    int status = next_status(child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP && (status >> 16) == 0);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, SIGSTOP), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGSTOP));
    CHECK_EQ(ptrace(PTRACE_LISTEN, child, 0, 0), 0);
    quiet(child);
    /* Listening: not in a stop the tracer may act on. */
    errno = 0;
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), -1);
    CHECK_EQ(errno, ESRCH);
    /* SIGCONT: a notification stop, then SIGCONT's delivery stop. */
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP));
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_status(child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGCONT && (status >> 16) == 0);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, SIGCONT), 0);
    quiet(child);
    reap_killed(child);
}

static void stopped_tracee(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raise(SIGSTOP);
        _exit(3);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, WSTOPPED), child);
    CHECK_EQ(status, 0x137f);
    /* Seizing a stopped process reports its group-stop at once. */
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGSTOP));
    CHECK_EQ(kill(child, SIGCONT), 0);
    quiet(child); /* still in the trace stop */
    CHECK_EQ(ptrace(PTRACE_LISTEN, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP)); /* the SIGCONT */
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_status(child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGCONT);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_status(child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

static void attached_tracee(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        for (;;) pause();
    }
    CHECK_EQ(ptrace(PTRACE_ATTACH, child, 0, 0), 0);
    int status = next_status(child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    errno = 0;
    CHECK_EQ(ptrace(PTRACE_INTERRUPT, child, 0, 0), -1); /* not seized */
    CHECK_EQ(errno, EIO);
    errno = 0;
    CHECK_EQ(ptrace(PTRACE_LISTEN, child, 0, 0), -1);
    CHECK_EQ(errno, EIO);
    reap_killed(child);
}

static void followed_children(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raise(SIGSTOP);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            execl("/proc/self/exe", "ptrace_seize", "exit-4", (char *)0);
            _exit(9);
        }
        int status;
        _exit(waitpid(grandchild, &status, 0) == grandchild && WIFEXITED(status) ? WEXITSTATUS(status) : 8);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, WSTOPPED), child);
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACEFORK), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGSTOP));
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP)); /* the SIGCONT */
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_status(child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGCONT);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), (PTRACE_EVENT_FORK << 16) | (SIGTRAP << 8) | 0x7f);
    unsigned long grandchild = 0;
    CHECK_EQ(ptrace(PTRACE_GETEVENTMSG, child, 0, &grandchild), 0);
    /* The new tracee's first stop: PTRACE_EVENT_STOP, not SIGSTOP. */
    CHECK_EQ(next_status((pid_t)grandchild), EVENT_STOP(SIGTRAP));
    CHECK_EQ(ptrace(PTRACE_CONT, (pid_t)grandchild, 0, 0), 0);
    /* It execs and exits 4 with no SIGTRAP stop on the way. */
    status = next_status((pid_t)grandchild);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    for (;;) {
        status = next_status(child);
        CHECK(status != 0);
        if (!WIFSTOPPED(status)) break;
        /* SIGCHLD of the grandchild: pass it on. */
        CHECK_EQ(ptrace(PTRACE_CONT, child, 0, WSTOPSIG(status)), 0);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
}

static volatile int seen_code, seen_value;

static void on_usr2(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    seen_code = info->si_code;
    seen_value = info->si_value.sival_int;
}

/* PTRACE_SETSIGINFO: the handler gets the siginfo the tracer wrote. */
static void rewritten_siginfo(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_usr2;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR2, &sa, NULL);
        raise(SIGSTOP);
        kill(getpid(), SIGUSR2);
        _exit(seen_code == -60 && seen_value == 77 ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, WSTOPPED), child);
    CHECK_EQ(ptrace(PTRACE_SEIZE, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGSTOP));
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), EVENT_STOP(SIGTRAP));
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), (SIGCONT << 8) | 0x7f);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    CHECK_EQ(next_status(child), (SIGUSR2 << 8) | 0x7f);
    siginfo_t info;
    CHECK_EQ(ptrace(PTRACE_GETSIGINFO, child, 0, &info), 0);
    CHECK_EQ(info.si_signo, SIGUSR2);
    CHECK_EQ(info.si_code, SI_USER);
    CHECK_EQ(info.si_pid, child);
    info.si_code = -60;
    info.si_value.sival_int = 77;
    CHECK_EQ(ptrace(PTRACE_SETSIGINFO, child, 0, &info), 0);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, SIGUSR2), 0);
    status = next_status(child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exit-4") == 0) return 4;
    running_tracee();
    stopped_tracee();
    attached_tracee();
    followed_children();
    rewritten_siginfo();
    return 0;
}

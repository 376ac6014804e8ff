/* ptrace as strace and gdb use it: a child that asks to be traced stops
 * at SIGSTOP; the tracer sets options, walks its system calls (entry and
 * exit stops, with TRACESYSGOOD), reads and writes its registers and
 * memory, sees and suppresses its signals, and sees the exec and exit
 * events. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <elf.h>
#include "check.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

static volatile long secret = 1234;
static volatile int handled = 0;
static void on_usr1(int sig) { (void)sig; handled = 1; }

/* Waits for the traced child's next stop; returns the status. */
static int next_stop(pid_t child) {
    int status;
    CHECK_EQ(waitpid(child, &status, __WALL), child);
    return status;
}

static void child_body(void) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(90);
    signal(SIGUSR1, on_usr1);
    raise(SIGSTOP);
    /* The tracer watches this getpid and changes `secret` meanwhile. */
    syscall(SYS_getpid);
    raise(SIGUSR1); /* the tracer suppresses it */
    /* 7 if the tracer's write arrived and the signal never ran. */
    _exit(secret == 4321 && !handled ? 7 : 1);
}

int main(void) {
    /* Asking twice is EPERM (a process has one tracer). */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) child_body();

    int status = next_stop(child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(WSTOPSIG(status), SIGSTOP);
    CHECK_EQ(ptrace(PTRACE_SETOPTIONS, child, 0,
                    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL), 0);
    CHECK_EQ(ptrace(PTRACE_SETOPTIONS, child, 0, 0x80000000UL), -1);
    CHECK_EQ(errno, EINVAL);

    /* Memory: read and write the child's copy of `secret`. */
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, child, (void *)&secret, 0);
    CHECK_EQ(errno, 0);
    CHECK_EQ(word, 1234);
    CHECK_EQ(ptrace(PTRACE_POKEDATA, child, (void *)&secret, (void *)4321L), 0);
    secret = 0; /* ours changes nothing there */

    /* One instruction at a time: a SIGTRAP stop at a new rip. */
    struct user_regs_struct before, after;
    CHECK_EQ(ptrace(PTRACE_GETREGS, child, 0, &before), 0);
    CHECK_EQ(ptrace(PTRACE_SINGLESTEP, child, 0, 0), 0);
    status = next_stop(child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(WSTOPSIG(status), SIGTRAP);
    CHECK_EQ(ptrace(PTRACE_GETREGS, child, 0, &after), 0);
    CHECK(after.rip != before.rip);
    CHECK_EQ(after.eflags & 0x100, 0); /* the trap flag is not the tracee's */

    /* Walk to getpid's entry and exit. */
    CHECK_EQ(ptrace(PTRACE_SYSCALL, child, 0, 0), 0);
    int entries = 0;
    for (;;) {
        status = next_stop(child);
        CHECK(WIFSTOPPED(status));
        CHECK_EQ(WSTOPSIG(status), SIGTRAP | 0x80);
        struct user_regs_struct regs;
        CHECK_EQ(ptrace(PTRACE_GETREGS, child, 0, &regs), 0);
        if (regs.orig_rax == SYS_getpid) {
            CHECK_EQ((long)regs.rax, -ENOSYS); /* entry */
            unsigned char info[88] = {0};
            long size = ptrace(PTRACE_GET_SYSCALL_INFO, child, (void *)sizeof info, info);
            CHECK(size >= 24);
            CHECK_EQ(info[0], 1); /* PTRACE_SYSCALL_INFO_ENTRY */
            CHECK_EQ(*(uint64_t *)(info + 24), SYS_getpid);
            /* The same registers through GETREGSET. */
            struct user_regs_struct again;
            struct iovec iov = {&again, sizeof again};
            CHECK_EQ(ptrace(PTRACE_GETREGSET, child, (void *)NT_PRSTATUS, &iov), 0);
            CHECK_EQ(iov.iov_len, sizeof again);
            CHECK_EQ(again.rip, regs.rip);
            CHECK_EQ(ptrace(PTRACE_SYSCALL, child, 0, 0), 0);
            status = next_stop(child);
            CHECK_EQ(WSTOPSIG(status), SIGTRAP | 0x80);
            CHECK_EQ(ptrace(PTRACE_GETREGS, child, 0, &regs), 0);
            CHECK_EQ((long)regs.rax, child); /* exit: getpid's result */
            CHECK_EQ(regs.orig_rax, SYS_getpid);
            break;
        }
        CHECK(++entries < 100);
        CHECK_EQ(ptrace(PTRACE_SYSCALL, child, 0, 0), 0);
    }

    /* Run on: SIGUSR1 stops the child before delivery; passing 0 drops it. */
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_stop(child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(WSTOPSIG(status), SIGUSR1);
    siginfo_t si;
    CHECK_EQ(ptrace(PTRACE_GETSIGINFO, child, 0, &si), 0);
    CHECK_EQ(si.si_signo, SIGUSR1);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);

    /* The exit event stop, with the status as its message. */
    status = next_stop(child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(status >> 8, SIGTRAP | (PTRACE_EVENT_EXIT << 8));
    unsigned long message = 0;
    CHECK_EQ(ptrace(PTRACE_GETEVENTMSG, child, 0, &message), 0);
    CHECK_EQ(message, 7 << 8);
    CHECK_EQ(ptrace(PTRACE_CONT, child, 0, 0), 0);
    status = next_stop(child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 7);

    /* Requests on a process we do not trace: ESRCH. */
    CHECK_EQ(ptrace(PTRACE_CONT, getppid(), 0, 0), -1);
    CHECK_EQ(errno, ESRCH);

    /* PTRACE_KILL ends a stopped tracee. */
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(90);
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != -1 || errno != EPERM) _exit(91);
        raise(SIGSTOP);
        _exit(0);
    }
    status = next_stop(child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(ptrace(PTRACE_KILL, child, 0, 0), 0);
    status = next_stop(child);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGKILL);
    return 0;
}

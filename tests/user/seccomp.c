/* seccomp: strict mode, filters and what each of their answers does to a
 * call (errno, SIGSYS with its siginfo, a tracer's stop, killing the
 * thread or the process), chains, inheritance by fork, threads and exec,
 * thread synchronisation, and the checks on what is installed. */
#define _GNU_SOURCE
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

/* <linux/filter.h>, <linux/seccomp.h> and <linux/audit.h>, which a musl
 * tool chain may lack. */
struct filter_insn {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
};
struct filter_prog {
    unsigned short len;
    struct filter_insn *filter;
};
#define STMT(c, v) {(c), 0, 0, (v)}
#define JUMP(c, v, t, f) {(c), (t), (f), (v)}
#define LD_W_ABS 0x20
#define RET_K 0x06
#define JEQ_K 0x15
#define AUDIT_ARCH_X86_64 0xc000003eu
#define RET_KILL_PROCESS 0x80000000u
#define RET_KILL_THREAD 0x00000000u
#define RET_TRAP 0x00030000u
#define RET_ERRNO 0x00050000u
#define RET_TRACE 0x7ff00000u
#define RET_LOG 0x7ffc0000u
#define RET_ALLOW 0x7fff0000u
#define MODE_STRICT 0
#define MODE_FILTER 1
#define GET_ACTION_AVAIL 2
#define GET_NOTIF_SIZES 3
#define FLAG_TSYNC 1
#define FLAG_TSYNC_ESRCH 16
#define NR_OFFSET 0
#define ARCH_OFFSET 4
#ifndef PTRACE_EVENT_SECCOMP
#define PTRACE_EVENT_SECCOMP 7
#endif
#ifndef PTRACE_O_TRACESECCOMP
#define PTRACE_O_TRACESECCOMP 0x80
#endif
#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

static long sys_seccomp(unsigned op, unsigned flags, void *args) {
    return syscall(SYS_seccomp, op, flags, args);
}

/* A filter that answers `action` to call `nr` and allows the rest (and
 * kills calls of another architecture). */
static long install(long nr, uint32_t action, unsigned flags) {
    struct filter_insn insns[] = {
        STMT(LD_W_ABS, ARCH_OFFSET),
        JUMP(JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        STMT(RET_K, RET_KILL_PROCESS),
        STMT(LD_W_ABS, NR_OFFSET),
        JUMP(JEQ_K, (uint32_t)nr, 0, 1),
        STMT(RET_K, action),
        STMT(RET_K, RET_ALLOW),
    };
    struct filter_prog prog = {sizeof insns / sizeof insns[0], insns};
    return sys_seccomp(MODE_FILTER, flags, &prog);
}

/* The `Seccomp` or `Seccomp_filters` line of /proc/self/status. */
static long status_field(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long value = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            value = strtol(line + n + 1, NULL, 10);
        }
    }
    fclose(f);
    return value;
}

/* Runs `body` in a child (which starts with no_new_privs and no core
 * files) and returns its wait status. */
static int in_child(void (*body)(void)) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            _exit(90);
        }
        body();
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    return status;
}

static void expect_exit(int status, int code) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
        fprintf(stderr, "child status %#x, wanted exit %d\n", status, code);
        exit(1);
    }
}

static void expect_signal(int status, int signal) {
    if (!WIFSIGNALED(status) || WTERMSIG(status) != signal) {
        fprintf(stderr, "child status %#x, wanted signal %d\n", status, signal);
        exit(1);
    }
}

/* --- what is accepted ------------------------------------------------ */

static void refused_programs(void) {
    struct filter_insn unaligned[] = {STMT(LD_W_ABS, 2), STMT(RET_K, RET_ALLOW)};
    struct filter_prog prog = {2, unaligned};
    errno = 0;
    CHECK_EQ(sys_seccomp(MODE_FILTER, 0, &prog), -1);
    CHECK_EQ(errno, EINVAL);
    struct filter_insn no_return[] = {STMT(LD_W_ABS, 0)};
    prog = (struct filter_prog){1, no_return};
    CHECK_EQ(sys_seccomp(MODE_FILTER, 0, &prog), -1);
    CHECK_EQ(errno, EINVAL);
    prog = (struct filter_prog){0, no_return};
    CHECK_EQ(sys_seccomp(MODE_FILTER, 0, &prog), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(sys_seccomp(MODE_FILTER, 0, (void *)16), -1);
    CHECK_EQ(errno, EFAULT);
    prog = (struct filter_prog){1, (struct filter_insn *)16};
    CHECK_EQ(sys_seccomp(MODE_FILTER, 0, &prog), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(sys_seccomp(MODE_FILTER, 1u << 30, &prog), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(sys_seccomp(MODE_STRICT, 1, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(sys_seccomp(99, 0, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    /* Nothing was installed. */
    CHECK_EQ(prctl(PR_GET_SECCOMP), 0);
    _exit(0);
}

static void unprivileged_needs_no_new_privs(void) {
    /* in_child set no_new_privs; a fresh child of uid 1000 has none. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK_EQ(setresuid(1000, 1000, 1000), 0);
        errno = 0;
        CHECK_EQ(install(SYS_getppid, RET_ERRNO | 1, 0), -1);
        CHECK_EQ(errno, EACCES);
        CHECK_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        CHECK_EQ(install(SYS_getppid, RET_ERRNO | 1, 0), 0);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 0);
}

static void actions_available(void) {
    uint32_t action = RET_ALLOW;
    CHECK_EQ(sys_seccomp(GET_ACTION_AVAIL, 0, &action), 0);
    action = RET_TRAP;
    CHECK_EQ(sys_seccomp(GET_ACTION_AVAIL, 0, &action), 0);
    action = RET_KILL_PROCESS;
    CHECK_EQ(sys_seccomp(GET_ACTION_AVAIL, 0, &action), 0);
    action = 0x12340000;
    CHECK_EQ(sys_seccomp(GET_ACTION_AVAIL, 0, &action), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    uint16_t sizes[3] = {0};
    CHECK_EQ(sys_seccomp(GET_NOTIF_SIZES, 0, sizes), 0);
    CHECK_EQ(sizes[2], 64);
}

/* --- answers ----------------------------------------------------------- */

static void errno_and_chains(void) {
    CHECK_EQ(status_field("Seccomp"), 0);
    CHECK_EQ(install(SYS_getppid, RET_ERRNO | 25, 0), 0);
    CHECK_EQ(prctl(PR_GET_SECCOMP), 2);
    CHECK_EQ(status_field("Seccomp"), 2);
    CHECK_EQ(status_field("Seccomp_filters"), 1);
    errno = 0;
    CHECK_EQ(syscall(SYS_getppid), -1);
    CHECK_EQ(errno, 25);
    /* Other calls go through. */
    CHECK_EQ(syscall(SYS_getpid), getpid());
    /* A newer filter with the same action wins with its own data. */
    CHECK_EQ(install(SYS_getppid, RET_ERRNO | 30, 0), 0);
    CHECK_EQ(syscall(SYS_getppid), -1);
    CHECK_EQ(errno, 30);
    /* A more restrictive older answer beats a newer one: errno over log. */
    CHECK_EQ(install(SYS_getppid, RET_LOG, 0), 0);
    CHECK_EQ(syscall(SYS_getppid), -1);
    CHECK_EQ(errno, 30);
    CHECK_EQ(status_field("Seccomp_filters"), 3);
    /* A fork child keeps the chain, and so does a program it runs. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        errno = 0;
        if (syscall(SYS_getppid) != -1 || errno != 30) {
            _exit(2);
        }
        execl("/proc/self/exe", "seccomp", "probe", (char *)NULL);
        _exit(3);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 30);
    /* The data is capped at MAX_ERRNO. */
    CHECK_EQ(install(SYS_getuid, RET_ERRNO | 0xffff, 0), 0);
    CHECK_EQ(syscall(SYS_getuid), -1);
    CHECK_EQ(errno, 4095);
    /* No tracer: a trace answer fails the call with ENOSYS. */
    CHECK_EQ(install(SYS_getgid, RET_TRACE | 5, 0), 0);
    CHECK_EQ(syscall(SYS_getgid), -1);
    CHECK_EQ(errno, ENOSYS);
    /* Filter mode cannot become strict. */
    CHECK_EQ(prctl(PR_SET_SECCOMP, 1), -1);
    CHECK_EQ(errno, EINVAL);

}

static volatile sig_atomic_t trapped;
static siginfo_t trap_info;
static long long trap_rax;

static void on_sigsys(int signal, siginfo_t *info, void *context) {
    (void)signal;
    trap_info = *info;
    trap_rax = ((ucontext_t *)context)->uc_mcontext.gregs[REG_RAX];
    trapped++;
}

static void trap(void) {
    struct sigaction action = {0};
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGSYS, &action, NULL), 0);
    CHECK_EQ(install(SYS_getuid, RET_TRAP | 0x42, 0), 0);
    long result = syscall(SYS_getuid, 11, 22);
    CHECK_EQ(trapped, 1);
    CHECK_EQ(trap_info.si_signo, SIGSYS);
    CHECK_EQ(trap_info.si_code, 1); /* SYS_SECCOMP */
    CHECK_EQ(trap_info.si_errno, 0x42);
    CHECK_EQ(trap_info.si_syscall, SYS_getuid);
    CHECK_EQ(trap_info.si_arch, AUDIT_ARCH_X86_64);
    CHECK(trap_info.si_call_addr != NULL);
    /* The call did not run: rax still holds its number, in the handler
     * and after it. */
    CHECK_EQ(trap_rax, SYS_getuid);
    CHECK_EQ(result, SYS_getuid);
    /* A blocked SIGSYS cannot be survived. */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGSYS);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, NULL), 0);
    syscall(SYS_getuid);
    _exit(4);
}

static void kill_process_despite_handler(void) {
    struct sigaction action = {0};
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGSYS, &action, NULL), 0);
    CHECK_EQ(install(SYS_getppid, RET_KILL_PROCESS, 0), 0);
    syscall(SYS_getppid);
    _exit(5);
}

static void kill_lone_thread(void) {
    CHECK_EQ(install(SYS_getppid, RET_KILL_THREAD, 0), 0);
    syscall(SYS_getppid);
    _exit(6);
}

static volatile long victim_tid;

static void *call_getppid(void *unused) {
    (void)unused;
    victim_tid = syscall(SYS_gettid);
    syscall(SYS_getppid);
    /* Not reached: the filter ends this thread here. */
    _exit(8);
}

static void kill_one_of_two_threads(void) {
    CHECK_EQ(install(SYS_getppid, RET_KILL_THREAD, 0), 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, call_getppid, NULL), 0);
    /* Not joined: musl's join waits for the thread's own exit code,
     * which a killed thread never runs (on Linux too). Its tid goes. */
    for (int i = 0; i < 10000; i++) {
        if (victim_tid != 0 && syscall(SYS_tgkill, getpid(), victim_tid, 0) == -1) {
            CHECK_EQ(errno, ESRCH);
            _exit(7);
        }
        usleep(1000);
    }
    _exit(1);
}

static void strict_allows_read_write_and_exit(void) {
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(prctl(PR_SET_SECCOMP, 1), 0);
    if (write(fds[1], "x", 1) != 1) {
        syscall(SYS_exit, 1);
    }
    char byte;
    if (read(fds[0], &byte, 1) != 1 || byte != 'x') {
        syscall(SYS_exit, 1);
    }
    syscall(SYS_exit, 9);
}

static void strict_kills_other_calls(void) {
    CHECK_EQ(sys_seccomp(MODE_STRICT, 0, NULL), 0);
    syscall(SYS_getpid);
    syscall(SYS_exit, 10);
}

/* --- threads ----------------------------------------------------------- */

static int go[2], done[2];
static long helper_tid;
static long helper_errno;

/* Waits for a byte, then reports what getppid gave, installs its own
 * filter and waits again. */
static void *helper(void *unused) {
    (void)unused;
    char byte;
    helper_tid = syscall(SYS_gettid);
    CHECK_EQ(read(go[0], &byte, 1), 1);
    errno = 0;
    syscall(SYS_getppid);
    helper_errno = errno;
    CHECK_EQ(install(SYS_getgid, RET_ERRNO | 2, 0), 0);
    CHECK_EQ(write(done[1], "d", 1), 1);
    CHECK_EQ(read(go[0], &byte, 1), 1);
    return NULL;
}

static void synchronize_threads(void) {
    CHECK_EQ(pipe(go), 0);
    CHECK_EQ(pipe(done), 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, helper, NULL), 0);
    /* The thread exists before the filter: only TSYNC reaches it. */
    CHECK_EQ(install(SYS_getppid, RET_ERRNO | 33, FLAG_TSYNC), 0);
    CHECK_EQ(write(go[1], "g", 1), 1);
    char byte;
    CHECK_EQ(read(done[0], &byte, 1), 1);
    CHECK_EQ(helper_errno, 33);
    /* The helper's chain grew apart from this thread's: it refuses. */
    long refused = install(SYS_getuid, RET_ERRNO | 3, FLAG_TSYNC);
    CHECK_EQ(refused, helper_tid);
    errno = 0;
    CHECK_EQ(install(SYS_getuid, RET_ERRNO | 3, FLAG_TSYNC | FLAG_TSYNC_ESRCH), -1);
    CHECK_EQ(errno, ESRCH);
    /* Neither attempt installed anything here. */
    CHECK_EQ(syscall(SYS_getuid), getuid());
    CHECK_EQ(status_field("Seccomp_filters"), 1);
    CHECK_EQ(write(go[1], "g", 1), 1);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    _exit(11);
}

/* --- a tracer ------------------------------------------------------------ */

struct syscall_info {
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t stack_pointer;
    uint64_t nr;
    uint64_t args[6];
    uint32_t ret_data;
};

static void traced_child(void) {
    CHECK_EQ(ptrace(PTRACE_TRACEME, 0, 0, 0), 0);
    raise(SIGSTOP);
    CHECK_EQ(install(SYS_getppid, RET_TRACE | 0x77, 0), 0);
    /* The tracer skips the call and makes it return 1234. */
    long result = syscall(SYS_getppid, 5);
    _exit(result == 1234 ? 12 : 13);
}

static void tracer_sees_seccomp_stops(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            _exit(90);
        }
        traced_child();
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    CHECK_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP), 0);
    CHECK_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(status >> 8, SIGTRAP | PTRACE_EVENT_SECCOMP << 8);
    unsigned long message = 0;
    CHECK_EQ(ptrace(PTRACE_GETEVENTMSG, pid, 0, &message), 0);
    CHECK_EQ(message, 0x77);
    struct syscall_info info;
    memset(&info, 0, sizeof info);
    long size = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
    CHECK(size >= 84);
    CHECK_EQ(info.op, 3); /* PTRACE_SYSCALL_INFO_SECCOMP */
    CHECK_EQ(info.arch, AUDIT_ARCH_X86_64);
    CHECK_EQ(info.nr, SYS_getppid);
    CHECK_EQ(info.args[0], 5);
    CHECK_EQ(info.ret_data, 0x77);
    /* Skip the call with a result of our own. */
    CHECK_EQ(ptrace(PTRACE_POKEUSER, pid, 15 * 8, -1L), 0); /* orig_rax */
    CHECK_EQ(ptrace(PTRACE_POKEUSER, pid, 10 * 8, 1234L), 0); /* rax */
    CHECK_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 12);
}

/* The order strace checks before it trusts --seccomp-bpf: the entry stop,
 * then the seccomp stop, then the exit stop; and exit_group has no exit
 * stop. A signal-delivery stop after a call shows the call in orig_rax. */
static void stops_in_linux_order(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct filter_insn insns[] = {
            STMT(LD_W_ABS, NR_OFFSET),
            JUMP(JEQ_K, SYS_gettid, 0, 1),
            STMT(RET_K, RET_TRACE),
            STMT(RET_K, RET_ALLOW),
        };
        struct filter_prog prog = {4, insns};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, 2, &prog) != 0) {
            _exit(90);
        }
        pid_t me = getpid();
        CHECK_EQ(ptrace(PTRACE_TRACEME, 0, 0, 0), 0);
        kill(me, SIGSTOP);
        syscall(SYS_gettid);
        syscall(SYS_exit_group, 0);
    }
    /* (status >> 8, orig_rax) at each stop. */
    const long expected[][2] = {
        {SIGSTOP, SYS_kill},
        {SIGTRAP | 0x80, SYS_gettid},
        {SIGTRAP | PTRACE_EVENT_SECCOMP << 8, SYS_gettid},
        {SIGTRAP | 0x80, SYS_gettid},
        {SIGTRAP | 0x80, SYS_exit_group},
    };
    for (unsigned step = 0; step < sizeof expected / sizeof expected[0]; step++) {
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFSTOPPED(status));
        CHECK_EQ(status >> 8, expected[step][0]);
        errno = 0;
        CHECK_EQ(ptrace(PTRACE_PEEKUSER, pid, 15 * 8, 0), expected[step][1]);
        if (step == 0) {
            CHECK_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0,
                            PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP),
                     0);
        }
        CHECK_EQ(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "probe") == 0) {
        /* Run by exec from a filtered child: report what getppid gets. */
        errno = 0;
        if (syscall(SYS_getppid) != -1) {
            return 1;
        }
        return errno;
    }
    CHECK_EQ(prctl(PR_GET_SECCOMP), 0);
    /* The actions the kernel has (Linux also lists user_notif). */
    FILE *avail = fopen("/proc/sys/kernel/seccomp/actions_avail", "r");
    CHECK(avail != NULL);
    char actions[128] = {0};
    CHECK(fgets(actions, sizeof actions, avail) != NULL);
    fclose(avail);
    CHECK(strncmp(actions, "kill_process kill_thread trap errno ", 36) == 0);
    expect_exit(in_child(refused_programs), 0);
    unprivileged_needs_no_new_privs();
    actions_available();
    expect_exit(in_child(errno_and_chains), 0);
    expect_signal(in_child(trap), SIGSYS);
    expect_signal(in_child(kill_process_despite_handler), SIGSYS);
    expect_signal(in_child(kill_lone_thread), SIGSYS);
    expect_exit(in_child(kill_one_of_two_threads), 7);
    expect_exit(in_child(strict_allows_read_write_and_exit), 9);
    expect_signal(in_child(strict_kills_other_calls), SIGKILL);
    expect_exit(in_child(synchronize_threads), 11);
    tracer_sees_seccomp_stops();
    stops_in_linux_order();
    /* None of it reached this process. */
    CHECK_EQ(prctl(PR_GET_SECCOMP), 0);
    CHECK_EQ(syscall(SYS_getppid), getppid());
    puts("seccomp: ok");
    return 0;
}

/* Process odds and ends: clone3 (fork-like, CLONE_PIDFD, CLONE_VFORK,
 * CLONE_PARENT_SETTID, argument-size and exit-signal errors), execveat (a
 * directory fd plus a relative name, an fd of the binary with
 * AT_EMPTY_PATH, flag errors), prctl PR_SET_PDEATHSIG,
 * PR_SET_CHILD_SUBREAPER and PR_SET_NO_NEW_PRIVS, openat ignoring the dirfd
 * for absolute paths, getrusage(RUSAGE_CHILDREN) accounting a reaped
 * child's CPU time, clone(CLONE_VM) children sharing memory, and
 * posix_spawn's error reporting (which glibc does through that sharing). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_VFORK
#define CLONE_VFORK 0x00004000
#endif
#ifndef CLONE_PARENT_SETTID
#define CLONE_PARENT_SETTID 0x00100000
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef PR_SET_PDEATHSIG
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#endif
#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#endif

/* The kernel's struct clone_args (CLONE_ARGS_SIZE_VER2 = 88 bytes). */
struct clone3_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

#define CLONE_ARGS_SIZE_VER0 64

static long clone3(struct clone3_args *args, size_t size) {
    return syscall(SYS_clone3, args, size);
}

static long prctl5(int option, unsigned long a2, unsigned long a3, unsigned long a4,
                   unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

static double seconds(clockid_t clock) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(clock, &ts), 0);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int wait_exit_code(pid_t pid);
static volatile sig_atomic_t vfork_signals;
static void on_vfork_signal(int sig) { (void)sig; vfork_signals++; }

/* A signal that reaches a vfork parent while its child still runs on the
 * parent's stack does not wake the parent: it resumes once the child has
 * exited (and then runs the handler). */
static void test_vfork_waits_through_signals(void) {
    struct sigaction action = {.sa_handler = on_vfork_signal};
    CHECK_EQ(sigaction(SIGALRM, &action, NULL), 0);
    static volatile int child_done;
    child_done = 0;
    struct itimerval soon = {.it_value = {.tv_usec = 20000}};
    CHECK_EQ(setitimer(ITIMER_REAL, &soon, NULL), 0);
    pid_t child = vfork();
    if (child == 0) {
        /* Outlive the timer, then report through the shared memory. */
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do clock_gettime(CLOCK_MONOTONIC, &now);
        while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 100000000L);
        child_done = 1;
        _exit(7);
    }
    CHECK(child > 0);
    CHECK_EQ(child_done, 1);
    CHECK_EQ(wait_exit_code(child), 7);
    CHECK_EQ(vfork_signals, 1);
    signal(SIGALRM, SIG_DFL);
}

/* SIGKILL ends a vfork parent's wait at once, as on Linux: the parent
 * dies while its child still runs. */
static void test_vfork_parent_is_killable(void) {
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t parent = fork();
    if (parent == 0) {
        pid_t child = vfork();
        if (child == 0) {
            kill(getppid(), SIGKILL);
            struct timespec nap = {.tv_sec = 2};
            nanosleep(&nap, NULL);
            _exit(0);
        }
        _exit(1); /* not reached: killed in the wait */
    }
    int status;
    CHECK_EQ(waitpid(parent, &status, 0), parent);
    clock_gettime(CLOCK_MONOTONIC, &end);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    CHECK(ms < 1500);
}

static int wait_exit_code(pid_t pid) {
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* clone3 that must fail: a child, should one appear, exits at once. */
static void expect_clone3_error(struct clone3_args *args, size_t size, int error) {
    errno = 0;
    long pid = clone3(args, size);
    if (pid == 0) _exit(99);
    if (pid > 0) wait_exit_code((pid_t)pid);
    CHECK_EQ(pid, -1);
    CHECK_EQ(errno, error);
}

static void test_clone3(void) {
    /* Fork-like: no stack given, the child runs on a copy of ours. */
    struct clone3_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long pid = clone3(&args, sizeof args);
    if (pid == 0) _exit(5);
    CHECK(pid > 0);
    CHECK_EQ(wait_exit_code((pid_t)pid), 5);

    /* The version-0 size is enough. */
    pid = clone3(&args, CLONE_ARGS_SIZE_VER0);
    if (pid == 0) _exit(getppid() > 0 ? 6 : 1);
    CHECK(pid > 0);
    CHECK_EQ(wait_exit_code((pid_t)pid), 6);

    /* CLONE_PIDFD stores a close-on-exec pidfd that polls readable on exit;
     * CLONE_PARENT_SETTID stores the child's tid. */
    int gate[2];
    CHECK_EQ(pipe(gate), 0);
    int pidfd = -1;
    pid_t tid = 0;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    args.pidfd = (uintptr_t)&pidfd;
    args.parent_tid = (uintptr_t)&tid;
    args.exit_signal = SIGCHLD;
    pid = clone3(&args, sizeof args);
    if (pid == 0) {
        char c;
        close(gate[1]);
        _exit(read(gate[0], &c, 1) == 0 ? 7 : 1);
    }
    CHECK(pid > 0);
    close(gate[0]);
    CHECK(pidfd >= 0);
    CHECK_EQ(tid, pid);
    CHECK(fcntl(pidfd, F_GETFD) & FD_CLOEXEC);
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 0);
    close(gate[1]);
    CHECK_EQ(poll(&pfd, 1, 5000), 1);
    CHECK(pfd.revents & POLLIN);
    CHECK_EQ(wait_exit_code((pid_t)pid), 7);
    close(pidfd);

    /* CLONE_VFORK: the parent resumes only once the child has exited, so
     * what the child wrote is already in the pipe. */
    int out[2];
    CHECK_EQ(pipe2(out, O_NONBLOCK), 0);
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VFORK;
    args.exit_signal = SIGCHLD;
    pid = clone3(&args, sizeof args);
    if (pid == 0) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
        _exit(write(out[1], "v", 1) == 1 ? 8 : 1);
    }
    CHECK(pid > 0);
    char c = 0;
    CHECK_EQ(read(out[0], &c, 1), 1);
    CHECK_EQ(c, 'v');
    CHECK_EQ(wait_exit_code((pid_t)pid), 8);
    close(out[0]);
    close(out[1]);

    /* Errors: too small, too big, non-zero bytes past the known struct,
     * a bad exit signal, CLONE_PIDFD without a pointer. */
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    expect_clone3_error(&args, 0, EINVAL);
    expect_clone3_error(&args, CLONE_ARGS_SIZE_VER0 - 8, EINVAL);
    expect_clone3_error(&args, CLONE_ARGS_SIZE_VER0 - 1, EINVAL);
    static char page[2 * 4096];
    memcpy(page, &args, sizeof args);
    expect_clone3_error((struct clone3_args *)page, sizeof page, E2BIG);
    expect_clone3_error((struct clone3_args *)page, 4097, E2BIG);
    page[sizeof args] = 1;
    expect_clone3_error((struct clone3_args *)page, sizeof args + 8, E2BIG);
    args.exit_signal = 65;
    expect_clone3_error(&args, sizeof args, EINVAL);
    errno = 0;
    CHECK_EQ(clone3(NULL, sizeof args), -1);
    CHECK_EQ(errno, EFAULT);
}

/* Runs execveat in a child that, once exec'd, exits 42 (see main). Returns
 * the child's exit code: 42 on success, 100 + errno on failure. */
static int try_execveat(int dirfd, const char *path, int flags) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"process_extras", "exit42", NULL};
        syscall(SYS_execveat, dirfd, path, argv, environ, flags);
        _exit(100 + errno);
    }
    return wait_exit_code(pid);
}

static void test_execveat(void) {
    /* A directory fd and the binary's name relative to it. */
    char exe[4096] = {0};
    CHECK(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
    char *slash = strrchr(exe, '/');
    CHECK(slash != NULL);
    *slash = 0;
    int dir = open(slash == exe ? "/" : exe, O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    CHECK_EQ(try_execveat(dir, slash + 1, 0), 42);
    CHECK_EQ(try_execveat(dir, "no-such-binary", 0), 100 + ENOENT);
    CHECK_EQ(try_execveat(dir, "", 0), 100 + ENOENT);
    CHECK_EQ(try_execveat(dir, "", AT_EMPTY_PATH), 100 + EACCES);
    CHECK_EQ(try_execveat(-1, slash + 1, 0), 100 + EBADF);
    close(dir);

    /* The binary itself: O_PATH, O_RDONLY, even O_CLOEXEC (fine for ELF). */
    int flags[] = {O_PATH, O_RDONLY, O_RDONLY | O_CLOEXEC};
    for (int i = 0; i < 3; i++) {
        int fd = open("/proc/self/exe", flags[i]);
        CHECK(fd >= 0);
        CHECK_EQ(try_execveat(fd, "", AT_EMPTY_PATH), 42);
        /* An absolute path ignores the dirfd. */
        CHECK_EQ(try_execveat(fd, "/proc/self/exe", 0), 42);
        close(fd);
    }

    /* Flags: unknown bits EINVAL; AT_SYMLINK_NOFOLLOW on a symlink ELOOP. */
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(try_execveat(fd, "", AT_EMPTY_PATH | 0x4), 100 + EINVAL);
    CHECK_EQ(try_execveat(AT_FDCWD, "/proc/self/exe", 0x1), 100 + EINVAL);
    /* The empty name is rejected (ENOENT) before the flags are checked. */
    CHECK_EQ(try_execveat(fd, "", 0x1), 100 + ENOENT);
    CHECK_EQ(try_execveat(AT_FDCWD, "/proc/self/exe", AT_SYMLINK_NOFOLLOW), 100 + ELOOP);
    close(fd);
}

static void test_pdeathsig(void) {
    /* Invalid signals are refused; the setting reads back; fork clears it. */
    errno = 0;
    CHECK_EQ(prctl5(PR_SET_PDEATHSIG, 65, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(prctl5(PR_SET_PDEATHSIG, (unsigned long)-1, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int sig = -1;
    CHECK_EQ(prctl5(PR_GET_PDEATHSIG, (uintptr_t)&sig, 0, 0, 0), 0);
    CHECK_EQ(sig, 0);
    CHECK_EQ(prctl5(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0), 0);
    CHECK_EQ(prctl5(PR_GET_PDEATHSIG, (uintptr_t)&sig, 0, 0, 0), 0);
    CHECK_EQ(sig, SIGUSR2);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int child_sig = -1;
        prctl5(PR_GET_PDEATHSIG, (uintptr_t)&child_sig, 0, 0, 0);
        _exit(child_sig == 0 ? 0 : 1);
    }
    CHECK_EQ(wait_exit_code(pid), 0);
    CHECK_EQ(prctl5(PR_SET_PDEATHSIG, 0, 0, 0, 0), 0);
    CHECK_EQ(prctl5(PR_GET_PDEATHSIG, (uintptr_t)&sig, 0, 0, 0), 0);
    CHECK_EQ(sig, 0);
    errno = 0;
    CHECK_EQ(prctl5(PR_GET_PDEATHSIG, 1, 0, 0, 0), -1);
    CHECK_EQ(errno, EFAULT);

    /* A grandchild asks for SIGUSR1 when its parent dies, then the parent
     * exits; the grandchild reports what it got through a pipe. */
    int ready[2], result[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(result), 0);
    pid_t middle = fork();
    CHECK(middle >= 0);
    if (middle == 0) {
        pid_t parent = getpid();
        pid_t grandchild = fork();
        CHECK(grandchild >= 0);
        if (grandchild == 0) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
            CHECK_EQ(prctl5(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0), 0);
            CHECK_EQ(write(ready[1], "r", 1), 1);
            struct timespec timeout = {5, 0};
            siginfo_t info;
            memset(&info, 0, sizeof info);
            char report = 'n';
            if (sigtimedwait(&set, &info, &timeout) == SIGUSR1 && info.si_code == SI_USER &&
                info.si_pid == parent && getppid() != parent)
                report = 'y';
            CHECK_EQ(write(result[1], &report, 1), 1);
            _exit(0);
        }
        char c;
        CHECK_EQ(read(ready[0], &c, 1), 1);
        _exit(0);
    }
    close(ready[0]);
    close(ready[1]);
    close(result[1]);
    CHECK_EQ(wait_exit_code(middle), 0);
    char report = 0;
    CHECK_EQ(read(result[0], &report, 1), 1);
    CHECK_EQ(report, 'y');
    close(result[0]);
}

/* Body of the subreaper process; returns its exit code. */
static int subreaper(void) {
    int value = -1;
    CHECK_EQ(prctl5(PR_GET_CHILD_SUBREAPER, (uintptr_t)&value, 0, 0, 0), 0);
    CHECK_EQ(value, 0);
    CHECK_EQ(prctl5(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    CHECK_EQ(prctl5(PR_GET_CHILD_SUBREAPER, (uintptr_t)&value, 0, 0, 0), 0);
    CHECK_EQ(value, 1);
    errno = 0;
    CHECK_EQ(prctl5(PR_GET_CHILD_SUBREAPER, 1, 0, 0, 0), -1);
    CHECK_EQ(errno, EFAULT);

    pid_t self = getpid();
    int pids[2];
    CHECK_EQ(pipe(pids), 0);
    pid_t middle = fork();
    CHECK(middle >= 0);
    if (middle == 0) {
        /* The attribute is not inherited. */
        value = -1;
        CHECK_EQ(prctl5(PR_GET_CHILD_SUBREAPER, (uintptr_t)&value, 0, 0, 0), 0);
        CHECK_EQ(value, 0);
        pid_t parent = getpid();
        pid_t grandchild = fork();
        CHECK(grandchild >= 0);
        if (grandchild == 0) {
            for (int i = 0; i < 2000 && getppid() == parent; i++) usleep(1000);
            _exit(getppid() == self ? 9 : 3);
        }
        CHECK_EQ(write(pids[1], &grandchild, sizeof grandchild), sizeof grandchild);
        _exit(0);
    }
    CHECK_EQ(wait_exit_code(middle), 0);
    pid_t grandchild = 0;
    CHECK_EQ(read(pids[0], &grandchild, sizeof grandchild), sizeof grandchild);
    int status;
    CHECK_EQ(waitpid(-1, &status, 0), grandchild);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 9);
    errno = 0;
    CHECK_EQ(waitpid(-1, &status, WNOHANG), -1);
    CHECK_EQ(errno, ECHILD);

    CHECK_EQ(prctl5(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
    CHECK_EQ(prctl5(PR_GET_CHILD_SUBREAPER, (uintptr_t)&value, 0, 0, 0), 0);
    CHECK_EQ(value, 0);
    return 0;
}

static void test_subreaper(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(subreaper());
    CHECK_EQ(wait_exit_code(pid), 0);
}

/* Body of the no_new_privs process (the flag cannot be cleared). */
static int no_new_privs(void) {
    errno = 0;
    CHECK_EQ(prctl5(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(prctl5(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(prctl5(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    CHECK_EQ(prctl5(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
    CHECK_EQ(prctl5(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    errno = 0;
    CHECK_EQ(prctl5(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(prctl5(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);

    /* Inherited by fork and kept across execve. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit((int)prctl5(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    CHECK_EQ(wait_exit_code(pid), 1);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"process_extras", "nnp", NULL};
        execve("/proc/self/exe", argv, environ);
        _exit(100);
    }
    CHECK_EQ(wait_exit_code(pid), 1);
    return 0;
}

static void test_no_new_privs(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(no_new_privs());
    CHECK_EQ(wait_exit_code(pid), 0);
}

static void test_openat_absolute(void) {
    /* An absolute path ignores dirfd, even a bad or non-directory one. */
    int fd = openat(999, "/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    close(fd);
    fd = openat(-5, "/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    close(fd);
    int file = open("/proc/self/exe", O_RDONLY);
    CHECK(file >= 0);
    fd = openat(file, "/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    close(fd);
    /* A relative path needs a valid directory fd. */
    errno = 0;
    CHECK_EQ(openat(999, "tmp", O_RDONLY), -1);
    CHECK_EQ(errno, EBADF);
    errno = 0;
    CHECK_EQ(openat(file, "tmp", O_RDONLY), -1);
    CHECK_EQ(errno, ENOTDIR);
    close(file);
}

static double usage_seconds(const struct rusage *usage) {
    return usage->ru_utime.tv_sec + usage->ru_utime.tv_usec / 1e6 + usage->ru_stime.tv_sec +
           usage->ru_stime.tv_usec / 1e6;
}

static void test_rusage_children(void) {
    struct rusage before, after;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &before), 0);
    double start = seconds(CLOCK_MONOTONIC);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Spin for 30 ms of CPU time (bounded by 5 s of wall time). */
        double deadline = seconds(CLOCK_MONOTONIC) + 5;
        while (seconds(CLOCK_PROCESS_CPUTIME_ID) < 0.030 && seconds(CLOCK_MONOTONIC) < deadline) {
        }
        _exit(0);
    }
    /* Not counted while the child is an unreaped zombie. */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
    CHECK_EQ(info.si_pid, pid);
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &after), 0);
    CHECK(usage_seconds(&after) == usage_seconds(&before));
    CHECK_EQ(wait_exit_code(pid), 0);
    double wall = seconds(CLOCK_MONOTONIC) - start;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &after), 0);
    double grown = usage_seconds(&after) - usage_seconds(&before);
    CHECK(grown >= 0.010);
    CHECK(grown <= wall + 0.020);

    errno = 0;
    CHECK_EQ(getrusage(99, &after), -1);
    CHECK_EQ(errno, EINVAL);
}

/* clone(CLONE_VM) without CLONE_THREAD: a new process in the same memory.
 * The child's store is seen by the parent, the child has its own pid, and
 * it runs on the stack it was given. */
static volatile int shared_word;

static int vm_child(void *arg) {
    shared_word = (int)(intptr_t)arg;
    return 3;
}

static void test_shared_memory(void) {
    size_t size = 64 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED);
    shared_word = 0;
    pid_t pid = clone(vm_child, stack + size, CLONE_VM | SIGCHLD, (void *)(intptr_t)77);
    CHECK(pid > 0 && pid != getpid());
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CHECK_EQ(shared_word, 77);
    CHECK_EQ(munmap(stack, size), 0);

    /* posix_spawn reports a program that cannot run: glibc's child writes
     * the errno into memory it shares with its parent (CLONE_VM|CLONE_VFORK),
     * musl's through a pipe. Either way the caller sees ENOENT. */
    pid_t spawned;
    char *argv[] = {"missing", NULL};
    char *envp[] = {NULL};
    CHECK_EQ(posix_spawn(&spawned, "/nonexistent/program", NULL, NULL, argv, envp), ENOENT);
    /* And a program that runs gives its pid and status. */
    char *true_argv[] = {"true", NULL};
    CHECK_EQ(posix_spawn(&spawned, "/bin/true", NULL, NULL, true_argv, envp), 0);
    CHECK_EQ(waitpid(spawned, &status, 0), spawned);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
    /* Modes for the re-executed copies of this program. */
    if (argc > 1 && strcmp(argv[1], "exit42") == 0) return 42;
    if (argc > 1 && strcmp(argv[1], "nnp") == 0)
        return (int)prctl5(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

    test_vfork_waits_through_signals();
    test_vfork_parent_is_killable();
    test_clone3();
    test_execveat();
    test_pdeathsig();
    test_subreaper();
    test_no_new_privs();
    test_openat_absolute();
    test_rusage_children();
    test_shared_memory();
    return 0;
}

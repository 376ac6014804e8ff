/* Nothing a user program passes to a system call may crash or hang the
 * kernel: a child makes thousands of calls with hostile arguments (NULL,
 * kernel addresses, non-canonical pointers, huge sizes, random bits) from a
 * fixed seed; the parent then checks the kernel still works.
 *   syscall_fuzz [SEED]          calls that cannot wreck the fuzzer
 *   syscall_fuzz SEED wild       almost every call, the fuzzer may wreck itself
 *   syscall_fuzz SEED shaped     every number in turn, right-shaped arguments */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* The buffer the fuzzer hands out, with an inaccessible page after it, so
 * a call that writes past its end faults in the kernel (EFAULT) instead of
 * corrupting the fuzzer itself. */
static char *buffer;
enum { BUFFER_SIZE = 16 * 4096 };

static uint64_t hostile(void) {
    switch (next() % 10) {
    case 0: return 0;
    case 1: return (uint64_t)buffer;
    case 2: return (uint64_t)buffer + BUFFER_SIZE - 2;
    case 3: return 0xffffffff80100000ull;   /* kernel text */
    case 4: return 0xffff800000000000ull;   /* the direct map */
    case 5: return 0x0000800000000000ull;   /* non-canonical */
    case 6: return (uint64_t)-1;
    case 7: return next() % 64;
    case 8: return 1ull << (next() % 64);
    default: return next();
    }
}

/* In wild mode only these are left out: they end or duplicate the process,
 * block for ever, signal others or power off. The fuzzer may then wreck
 * itself (unmap its code, close its fds), which is allowed; the kernel must
 * not notice. */
static int wild;

static int skipped_in_wild_mode(long number) {
    switch (number) {
    case SYS_exit: case SYS_exit_group: case SYS_fork: case SYS_vfork: case SYS_clone:
    case SYS_execve: case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_reboot:
    case SYS_pause: case SYS_rt_sigsuspend: case SYS_setsid: case SYS_chroot:
    case SYS_mount: case SYS_umount2: case SYS_sethostname: case SYS_setdomainname:
    case SYS_rt_sigreturn: /* ends the fuzzer at once with SIGSEGV */
    /* Small pids are the machine's shells and init: these signal them or
     * write into their memory (on Linux too). */
    case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_process_vm_writev:
    /* seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) is valid: the fuzzer's
     * next call would kill it (on Linux too). */
    case SYS_seccomp:
    /* The machine's clock and log belong to the tests after this one. */
    case SYS_clock_settime: case SYS_settimeofday: case SYS_syslog:
        return 1;
    default:
        return 0;
    }
}

/* Shaped mode: every system call number in turn, each with arguments of
 * the shapes real callers pass: open descriptors of every kind (files,
 * directories, pipes, sockets, eventfd, epoll, timerfd, memfd), mapped
 * buffers, their edges and the unmapped page after them, boundary sizes
 * and small flag words, mixed with the hostile values above. */
static int shaped;
static int fds[16];
static int fd_count;

static uint64_t shaped_argument(void) {
    switch (next() % 8) {
    case 0: case 1: return fd_count ? (uint64_t)fds[next() % fd_count] : 0;
    case 2: return (uint64_t)buffer + (next() % 4) * 4096;
    case 3: return (uint64_t)buffer + BUFFER_SIZE;           /* unmapped */
    case 4: {
        static const uint64_t sizes[] = {0, 1, 8, 16, 64, 4095, 4096, BUFFER_SIZE, 1ull << 31};
        return sizes[next() % (sizeof sizes / sizeof *sizes)];
    }
    case 5: return next() & 0xfff;                            /* flags */
    default: return hostile();
    }
}

/* Descriptors of every kind, non-blocking so no call on them waits. */
static void open_shaped_fds(void) {
    int pair[2];
    fds[fd_count++] = open("/tmp", O_RDONLY | O_DIRECTORY);
    fds[fd_count++] = open("/tmp/fuzz-file", O_RDWR | O_CREAT | O_NONBLOCK, 0600);
    fds[fd_count++] = open("/dev/null", O_RDWR);
    if (pipe2(pair, O_NONBLOCK) == 0) { fds[fd_count++] = pair[0]; fds[fd_count++] = pair[1]; }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) == 0) {
        fds[fd_count++] = pair[0];
        fds[fd_count++] = pair[1];
    }
    fds[fd_count++] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    fds[fd_count++] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    fds[fd_count++] = eventfd(0, EFD_NONBLOCK);
    fds[fd_count++] = epoll_create1(0);
    fds[fd_count++] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    fds[fd_count++] = memfd_create("fuzz", 0);
    fds[fd_count++] = -1;
    fds[fd_count++] = 1000;
}

/* Calls that may wait however long their arguments say (a timeout, a
 * blocking descriptor of the fuzzer's own making, a futex word) or give
 * the process away: the shaped run must get through every number. */
static int skipped_in_shaped_mode(long number) {
    switch (number) {
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_futex: case SYS_poll:
    case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait:
    case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_rt_sigtimedwait: case SYS_wait4:
    case SYS_waitid: case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setresuid:
    case SYS_setregid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
    case SYS_ptrace: case SYS_sched_setscheduler: case SYS_rt_sigprocmask:
    case SYS_rt_sigaction: case SYS_alarm: case SYS_setitimer: case SYS_timer_settime:
    case SYS_munmap: case SYS_mprotect: case SYS_mremap: case SYS_close: case SYS_close_range:
    case SYS_dup2: case SYS_dup3: case SYS_fcntl: case SYS_ioctl: case SYS_prctl:
    case SYS_setrlimit: case SYS_prlimit64: case SYS_madvise: case SYS_brk:
    case SYS_arch_prctl: case SYS_sigaltstack: case SYS_seccomp:
    /* Queues and semaphores (SysV, POSIX) and AIO wait for their events. */
    case SYS_msgrcv: case SYS_msgsnd: case SYS_semop: case SYS_semtimedop:
    case SYS_mq_timedreceive: case SYS_mq_timedsend: case SYS_io_getevents:
    case SYS_io_pgetevents: case SYS_recvmmsg:
        return 1;
    default:
        return skipped_in_wild_mode(number);
    }
}

/* System V objects outlive their maker (on Linux too): the child notes
 * each one it made, in memory shared with the parent, which removes them
 * however the child ended. Otherwise every run leaves its queues, sets and
 * segments behind, and a long stress run's memory never comes back. */
enum { MAX_IPC_MADE = 4096 };
struct ipc_made {
    int count;
    struct { long kind; int id; } objects[MAX_IPC_MADE];
};
static struct ipc_made *ipc_made;

static void fuzz_call(long number, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                      uint64_t f) {
    long result = syscall(number, a, b, c, d, e, f);
    int made = number == SYS_shmget || number == SYS_semget || number == SYS_msgget;
    if (made && result >= 0 && ipc_made->count < MAX_IPC_MADE) {
        ipc_made->objects[ipc_made->count].kind = number;
        ipc_made->objects[ipc_made->count].id = (int)result;
        ipc_made->count++;
    }
}

static void remove_ipc_made(void) {
    for (int i = 0; i < ipc_made->count; i++) {
        int id = ipc_made->objects[i].id;
        switch (ipc_made->objects[i].kind) {
        case SYS_shmget: shmctl(id, IPC_RMID, NULL); break;
        case SYS_semget: semctl(id, 0, IPC_RMID); break;
        default: msgctl(id, IPC_RMID, NULL); break;
        }
    }
}

/* Calls that end, block, duplicate or signal the process, or power off. */
static int skipped(long number) {
    if (shaped) return skipped_in_shaped_mode(number);
    if (wild) return skipped_in_wild_mode(number);
    switch (number) {
    case SYS_exit: case SYS_exit_group: case SYS_fork: case SYS_vfork: case SYS_clone:
    case SYS_execve: case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_reboot:
    case SYS_pause: case SYS_rt_sigsuspend: case SYS_nanosleep: case SYS_clock_nanosleep:
    case SYS_futex: case SYS_wait4: case SYS_waitid: case SYS_poll: case SYS_ppoll:
    case SYS_select: case SYS_pselect6: case SYS_read: case SYS_readv: case SYS_pread64:
    case SYS_rt_sigtimedwait: case SYS_rt_sigreturn: case SYS_rt_sigqueueinfo:
    case SYS_rt_tgsigqueueinfo: case SYS_process_vm_writev:
    case SYS_munmap: case SYS_mprotect: case SYS_mmap: case SYS_brk: case SYS_mremap:
    case SYS_arch_prctl: case SYS_rt_sigaction: case SYS_rt_sigprocmask: case SYS_sigaltstack:
    case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setresuid: case SYS_chroot:
    case SYS_alarm: case SYS_setitimer: case SYS_close: case SYS_dup2: case SYS_dup3:
    case SYS_setsid: case SYS_setpgid: case SYS_write: case SYS_writev: case SYS_pwrite64:
    case SYS_sendfile: case SYS_unlink: case SYS_unlinkat: case SYS_rmdir: case SYS_rename:
    case SYS_renameat: case SYS_renameat2: case SYS_chmod: case SYS_fchmod: case SYS_fchmodat:
    case SYS_chown: case SYS_fchown: case SYS_lchown: case SYS_fchownat: case SYS_mount:
    case SYS_umount2: case SYS_truncate: case SYS_ftruncate: case SYS_setrlimit:
    case SYS_prlimit64: case SYS_sethostname: case SYS_setdomainname: case SYS_setpriority:
    case SYS_set_tid_address: case SYS_fcntl: case SYS_ioctl: case SYS_chdir: case SYS_fchdir:
    case SYS_sched_setaffinity: case SYS_prctl: case SYS_seccomp:
    /* PTRACE_TRACEME makes the parent the fuzzer's tracer: its time-out
     * alarm would then stop the fuzzer instead of ending it. */
    case SYS_ptrace:
    /* Event loops and sockets wait for their events (for ever, with the
     * timeouts hostile arguments give). */
    case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_accept:
    case SYS_accept4: case SYS_recvfrom: case SYS_recvmsg: case SYS_sendto: case SYS_sendmsg:
    case SYS_connect: case SYS_flock:
    /* System V queues and semaphores wait for their events (a queue or
     * set the fuzzer made itself, for ever); shmat with SHM_REMAP replaces
     * the fuzzer's own mappings, as the mmap left out above would. */
    case SYS_msgrcv: case SYS_msgsnd: case SYS_semop: case SYS_semtimedop: case SYS_shmat:
    case SYS_clock_settime: case SYS_settimeofday: case SYS_syslog:
        return 1;
    default:
        return 0;
    }
}

int main(int argc, char **argv) {
    /* Another seed explores other calls: syscall_fuzz SEED. */
    if (argc > 1) state = strtoull(argv[1], NULL, 0) | 1;
    wild = argc > 2 && strcmp(argv[2], "wild") == 0;
    shaped = argc > 2 && strcmp(argv[2], "shaped") == 0;
    ipc_made = mmap(NULL, sizeof *ipc_made, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                    -1, 0);
    CHECK(ipc_made != MAP_FAILED);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        buffer = mmap(NULL, BUFFER_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(buffer != MAP_FAILED);
        CHECK_EQ(mprotect(buffer + BUFFER_SIZE, 4096, PROT_NONE), 0);
        if (shaped) {
            /* Every number up to the newest call, 40 times each. Small
             * numbers are descriptors too: the console must not be read
             * (that waits for input) or written with garbage. */
            int null = open("/dev/null", O_RDWR);
            for (int fd = 0; fd < 3; fd++) dup2(null, fd);
            /* A write to a closed pipe or past a file size limit is
             * refused with a signal whose default ends the fuzzer. */
            signal(SIGPIPE, SIG_IGN);
            signal(SIGXFSZ, SIG_IGN);
            open_shaped_fds();
            alarm(25);
            for (long number = 0; number < 460; number++) {
                if (skipped(number)) continue;
                for (int i = 0; i < 40; i++)
                    fuzz_call(number, shaped_argument(), shaped_argument(), shaped_argument(),
                              shaped_argument(), shaped_argument(), shaped_argument());
            }
            _exit(0);
        }
        /* The run ends by the clock as well as by count, well before the
         * alarm that stops a fuzzer wedged in a call: on a loaded machine
         * (the stress run) 20,000 calls can take longer than the alarm. */
        alarm(wild ? 5 : 20);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int i = 0; i < 20000; i++) {
            if (i % 64 == 0 && clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
                now.tv_sec - start.tv_sec >= (wild ? 3 : 15))
                break;
            long number = (long)(next() % 340);
            if (skipped(number)) continue;
            fuzz_call(number, hostile(), hostile(), hostile(), hostile(), hostile(), hostile());
        }
        _exit(0);
    }
    /* The child may wedge itself (block SIGALRM, then read the console);
     * SIGKILL must still end it wherever it sleeps. */
    int status;
    pid_t done = 0;
    for (int i = 0; i < 300 && done == 0; i++) {
        done = waitpid(child, &status, WNOHANG);
        if (done == 0) usleep(100000);
    }
    if (done == 0) {
        CHECK_EQ(kill(child, SIGKILL), 0);
        CHECK_EQ(waitpid(child, &status, 0), child);
        if (!wild) {
            fprintf(stderr, "fuzzing child did not finish in 30 s\n");
            return 1;
        }
    }
    /* Whatever happened to the child, the kernel must still serve us. */
    CHECK_EQ(getpid() > 0, 1);
    remove_ipc_made();
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(write(p[1], "ok", 2), 2);
    char c[2];
    CHECK_EQ(read(p[0], c, 2), 2);
    if (!wild && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        fprintf(stderr, "fuzzing child ended with status %#x\n", status);
        return 1;
    }
    return 0;
}

/* Nothing a user program passes to a system call may crash or hang the
 * kernel: a child makes thousands of calls with hostile arguments (NULL,
 * kernel addresses, non-canonical pointers, huge sizes, random bits) from a
 * fixed seed; the parent then checks the kernel still works. */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
    /* The machine's clock and log belong to the tests after this one. */
    case SYS_clock_settime: case SYS_settimeofday: case SYS_syslog:
        return 1;
    default:
        return 0;
    }
}

/* Calls that end, block, duplicate or signal the process, or power off. */
static int skipped(long number) {
    if (wild) return skipped_in_wild_mode(number);
    switch (number) {
    case SYS_exit: case SYS_exit_group: case SYS_fork: case SYS_vfork: case SYS_clone:
    case SYS_execve: case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_reboot:
    case SYS_pause: case SYS_rt_sigsuspend: case SYS_nanosleep: case SYS_clock_nanosleep:
    case SYS_futex: case SYS_wait4: case SYS_waitid: case SYS_poll: case SYS_ppoll:
    case SYS_select: case SYS_pselect6: case SYS_read: case SYS_readv: case SYS_pread64:
    case SYS_rt_sigtimedwait: case SYS_rt_sigreturn: case SYS_rt_sigqueueinfo:
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
    case SYS_sched_setaffinity: case SYS_prctl:
    /* Event loops and sockets wait for their events (for ever, with the
     * timeouts hostile arguments give). */
    case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_accept:
    case SYS_accept4: case SYS_recvfrom: case SYS_recvmsg: case SYS_sendto: case SYS_sendmsg:
    case SYS_connect: case SYS_flock:
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
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        buffer = mmap(NULL, BUFFER_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(buffer != MAP_FAILED);
        CHECK_EQ(mprotect(buffer + BUFFER_SIZE, 4096, PROT_NONE), 0);
        alarm(wild ? 5 : 20);
        for (int i = 0; i < 20000; i++) {
            long number = (long)(next() % 340);
            if (skipped(number)) continue;
            syscall(number, hostile(), hostile(), hostile(), hostile(), hostile(), hostile());
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

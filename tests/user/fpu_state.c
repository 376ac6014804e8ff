/* The FPU/SSE state survives the kernel: x87 registers, xmm registers and
 * MXCSR (a rounding mode) across system calls, sleeps (other threads run)
 * and a signal handler that starts clean and uses the FPU itself, and finds
 * the interrupted state in its frame; a forked child starts with its
 * parent's state; two processes handing a byte back and forth through
 * pipes (each blocked reader switched out in the middle of its call) and
 * copying pages through the kernel each keep their own registers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static void set_xmm(const uint8_t pattern[16]) {
    __asm__ volatile("movdqu (%0), %%xmm6\n movdqu (%0), %%xmm13" ::"r"(pattern) : "xmm6", "xmm13");
}
static void get_xmm(uint8_t six[16], uint8_t thirteen[16]) {
    __asm__ volatile("movdqu %%xmm6, (%0)\n movdqu %%xmm13, (%1)" ::"r"(six), "r"(thirteen) : "memory");
}

/* One system call with xmm0 (which kernel copies use most) and xmm13 set to
 * `in` right before it and read right after it, in one asm block (no
 * library code in between). */
static long syscall_keeping(long number, long a, long b, long c, const uint8_t in[16],
                            uint8_t zero[16], uint8_t thirteen[16]) {
    register long r_a __asm__("rdi") = a;
    register long r_b __asm__("rsi") = b;
    register long r_c __asm__("rdx") = c;
    long result = number;
    __asm__ volatile("movdqu (%[in]), %%xmm0\n movdqu (%[in]), %%xmm13\n syscall\n"
                     "movdqu %%xmm0, (%[zero])\n movdqu %%xmm13, (%[thirteen])"
                     : "+a"(result)
                     : "r"(r_a), "r"(r_b), "r"(r_c), [in] "r"(in), [zero] "r"(zero),
                       [thirteen] "r"(thirteen)
                     : "rcx", "r11", "memory", "xmm0", "xmm13");
    return result;
}

/* `rounds` handoffs through the pipes: read a byte from `in_fd` (blocking
 * until the partner wrote it), write it to `out_fd`, every call with this
 * side's `pattern` live; every 8th round also reads a page of /dev/zero,
 * which the kernel copies. The count of calls that changed the registers
 * or the rounding mode. */
static int handoffs(int rounds, int first_write, int in_fd, int out_fd, int zero_fd,
                    const uint8_t pattern[16], int rounding) {
    static char page[4096];
    uint8_t zero[16], thirteen[16];
    int wrong = 0;
    char byte = 'x';
    for (int round = 0; round < rounds; round++) {
        for (int step = 0; step < 2; step++) {
            int writing = (step == 0) == first_write;
            long n = writing ? syscall_keeping(SYS_write, out_fd, (long)&byte, 1, pattern, zero, thirteen)
                             : syscall_keeping(SYS_read, in_fd, (long)&byte, 1, pattern, zero, thirteen);
            if (n != 1) return -1;
            wrong += memcmp(zero, pattern, 16) != 0 || memcmp(thirteen, pattern, 16) != 0 ||
                     fegetround() != rounding;
        }
        if (round % 8 == 0) {
            long n = syscall_keeping(SYS_read, zero_fd, (long)page, sizeof page, pattern, zero, thirteen);
            if (n != (long)sizeof page) return -1;
            wrong += memcmp(zero, pattern, 16) != 0 || memcmp(thirteen, pattern, 16) != 0;
        }
    }
    return wrong;
}

static volatile sig_atomic_t handled;
static volatile int entry_round;
static uint8_t entry_six[16], entry_thirteen[16];
/* What the frame's FXSAVE area held: xmm13, MXCSR, st(0). */
static uint8_t frame_thirteen[16], frame_st0[10];
static uint32_t frame_mxcsr;
static void clobbering_handler(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)info;
    const uint8_t *fxsave = (const uint8_t *)((ucontext_t *)context)->uc_mcontext.fpregs;
    memcpy(frame_thirteen, fxsave + 160 + 13 * 16, 16);
    memcpy(&frame_mxcsr, fxsave + 24, 4);
    memcpy(frame_st0, fxsave + 32, 10);
    /* It starts with a clean FPU, as on Linux: the default rounding mode
     * and zeroed xmm registers, whatever the interrupted code had. */
    entry_round = fegetround();
    get_xmm(entry_six, entry_thirteen);
    /* The handler uses every kind of register on its own. */
    static const uint8_t junk[16] = {0xde, 0xad};
    set_xmm(junk);
    volatile long double x = 3.0L;
    x = x * x + 1.0L;
    fesetround(FE_UPWARD);
    handled++;
}

static long double x87_load(void) {
    long double value;
    __asm__ volatile("fld %%st(0)\n fstpt %0" : "=m"(value));
    return value;
}

int main(void) {
    static const uint8_t pattern[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t six[16], thirteen[16];

    /* System calls and a busy stretch (preemption). */
    CHECK_EQ(fesetround(FE_TOWARDZERO), 0);
    for (int round = 0; round < 200; round++) {
        set_xmm(pattern);
        syscall(SYS_getppid);
        usleep(round % 20 == 0 ? 1000 : 0);
        get_xmm(six, thirteen);
        CHECK(!memcmp(six, pattern, 16) && !memcmp(thirteen, pattern, 16));
        CHECK_EQ(fegetround(), FE_TOWARDZERO);
    }

    /* x87 stack contents across a system call. */
    long double pi = 3.14159265358979323846L;
    __asm__ volatile("fldt %0" ::"m"(pi));
    syscall(SYS_getppid);
    CHECK(x87_load() == pi);
    __asm__ volatile("fstp %%st(0)" ::);

    /* A handler that clobbers everything: the interrupted state returns. */
    struct sigaction sa = {0};
    sa.sa_sigaction = clobbering_handler;
    sa.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    set_xmm(pattern);
    __asm__ volatile("fldt %0" ::"m"(pi));
    syscall(SYS_kill, getpid(), SIGUSR1);
    long double after = x87_load();
    __asm__ volatile("fstp %%st(0)" ::);
    get_xmm(six, thirteen);
    CHECK_EQ(handled, 1);
    static const uint8_t zeros[16];
    CHECK_EQ(entry_round, FE_TONEAREST);
    CHECK(!memcmp(entry_thirteen, zeros, 16));
    CHECK(!memcmp(frame_thirteen, pattern, 16));
    CHECK_EQ(frame_mxcsr & 0x6000, 0x6000); /* round toward zero */
    CHECK(!memcmp(frame_st0, &pi, 10));
    CHECK(!memcmp(six, pattern, 16) && !memcmp(thirteen, pattern, 16));
    CHECK(after == pi);
    CHECK_EQ(fegetround(), FE_TOWARDZERO);

    /* A forked child starts with its parent's state. */
    set_xmm(pattern);
    pid_t child = fork();
    if (child == 0) {
        uint8_t a[16], b[16];
        get_xmm(a, b);
        _exit(!memcmp(a, pattern, 16) && fegetround() == FE_TOWARDZERO ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Two processes, each with its own registers and rounding mode. */
    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    int zero_fd = open("/dev/zero", O_RDONLY);
    CHECK(zero_fd >= 0);
    static const uint8_t other[16] = {0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0x0f, 0xf0,
                                      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    pid_t partner = fork();
    CHECK(partner >= 0);
    if (partner == 0) {
        fesetround(FE_UPWARD);
        int wrong = handoffs(300, 0, to_child[0], to_parent[1], zero_fd, other, FE_UPWARD);
        _exit(wrong == 0 ? 0 : wrong < 0 ? 2 : 3);
    }
    CHECK_EQ(handoffs(300, 1, to_parent[0], to_child[1], zero_fd, pattern, FE_TOWARDZERO), 0);
    CHECK_EQ(waitpid(partner, &status, 0), partner);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    CHECK_EQ(fesetround(FE_TONEAREST), 0);
    printf("fpu_state ok\n");
    return 0;
}

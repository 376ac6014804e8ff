/* The FPU/SSE state survives the kernel: x87 registers, xmm registers and
 * MXCSR (a rounding mode) across system calls, sleeps (other threads run)
 * and a signal handler that starts clean and uses the FPU itself, and finds
 * the interrupted state in its frame; a forked child starts with its
 * parent's state. */
#define _GNU_SOURCE
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

    CHECK_EQ(fesetround(FE_TONEAREST), 0);
    printf("fpu_state ok\n");
    return 0;
}

/* A child that dereferences NULL is killed by SIGSEGV; the parent goes on.
 * Likewise for an illegal instruction and a division by zero, and a
 * signal whose frame cannot be written whole. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static int killed_by(void (*crash)(void)) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        crash();
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status));
    return WTERMSIG(status);
}

/* Through a volatile so the compiler cannot prove the address is NULL. */
static volatile unsigned long null_address = 0;
static void null_dereference(void) { *(volatile int *)null_address = 1; }
static void illegal_instruction(void) { __asm__ volatile("ud2"); }
static void divide_by_zero(void) {
    /* Both operands volatile: gcc rewrites 1/x without a division. */
    volatile int zero = 0, numerator = 100;
    volatile int x = numerator / zero;
    (void)x;
}
static volatile unsigned long kernel_half = 0xffffffff80100000UL;
static void kernel_address(void) { *(volatile int *)kernel_half = 1; }

static void on_usr1(int sig) { (void)sig; }
/* An alternate stack whose top 512 bytes lie on a read-only page: the
 * frame's registers fit on the writable page below, its FPU area (written
 * last, just under the top) does not, so the frame cannot be built. */
static void unwritable_signal_frame(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(base != MAP_FAILED);
    CHECK_EQ(mprotect(base + page, page, PROT_READ), 0);
    stack_t stack = {.ss_sp = base, .ss_size = page + 512};
    CHECK_EQ(sigaltstack(&stack, NULL), 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    kill(getpid(), SIGUSR1);
}

int main(void) {
    CHECK_EQ(killed_by(null_dereference), SIGSEGV);
    CHECK_EQ(killed_by(illegal_instruction), SIGILL);
    CHECK_EQ(killed_by(divide_by_zero), SIGFPE);
    CHECK_EQ(killed_by(unwritable_signal_frame), SIGSEGV);
    /* Last: the boot tests read this crash's core with gdb. */
    CHECK_EQ(killed_by(kernel_address), SIGSEGV);
    return 0;
}

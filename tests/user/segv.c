/* A child that dereferences NULL is killed by SIGSEGV; the parent goes on.
 * Likewise for an illegal instruction and a division by zero. */
#include <signal.h>
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

int main(void) {
    CHECK_EQ(killed_by(null_dereference), SIGSEGV);
    CHECK_EQ(killed_by(illegal_instruction), SIGILL);
    CHECK_EQ(killed_by(divide_by_zero), SIGFPE);
    CHECK_EQ(killed_by(kernel_address), SIGSEGV);
    return 0;
}

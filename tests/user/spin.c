/* Burns CPU in functions with known names, half in user code and half in
 * system calls, for the sampling profiler's test (`spin [milliseconds]`).
 * Run by the suite with the default, it checks only that the work is done. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static volatile unsigned long sink;

static double now(void) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A leaf: with frame pointers a sample here names its caller's caller
 * (the leaf pushes no frame), so the work is in a non-leaf too. */
__attribute__((noinline)) static unsigned long spin_step(unsigned long x, unsigned long i) {
    return x * 6364136223846793005ul + i;
}

__attribute__((noinline)) static unsigned long spin_inner(unsigned long n) {
    unsigned long x = 1;
    for (unsigned long i = 0; i < n; i++) {
        x = spin_step(x, i);
        x ^= x >> 7;
    }
    return x;
}

__attribute__((noinline)) static unsigned long spin_outer(unsigned long rounds) {
    unsigned long x = 0;
    for (unsigned long i = 0; i < rounds; i++)
        x ^= spin_inner(1000);
    return x;
}

__attribute__((noinline)) static unsigned long spin_syscalls(unsigned long calls) {
    unsigned long x = 0;
    for (unsigned long i = 0; i < calls; i++)
        x += (unsigned long)getppid();
    return x;
}

int main(int argc, char **argv) {
    double seconds = (argc > 1 ? atoi(argv[1]) : 20) / 1000.0;
    double end = now() + seconds;
    unsigned long rounds = 0;
    while (now() < end) {
        sink ^= spin_outer(300);
        CHECK(spin_syscalls(100) > 0);
        rounds++;
    }
    CHECK(rounds > 0);
    return 0;
}

/* CPU time: a child's user time shows up in the parent's times() and
 * getrusage(RUSAGE_CHILDREN) once the child is reaped. */
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    struct tms before;
    times(&before);
    CHECK_EQ(before.tms_cutime, 0);
    pid_t child = fork();
    if (child == 0) {
        double start = now();
        volatile unsigned long spin = 0;
        while (now() - start < 0.3) spin++;
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    struct tms after;
    times(&after);
    CHECK(after.tms_cutime + after.tms_cstime > 0);
    struct rusage usage;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
    CHECK(usage.ru_utime.tv_sec * 1000000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_sec * 1000000 + usage.ru_stime.tv_usec > 0);
    return 0;
}

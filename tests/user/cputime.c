/* CPU time: a child's user time shows up in the parent's times(),
 * getrusage(RUSAGE_CHILDREN) and wait4's rusage once the child is reaped,
 * which agree with the child's own CPU clock;
 * the CPU-time clocks count running, not sleeping; another thread's clock
 * (pthread_getcpuclockid) and another process's (clock_getcpuclockid)
 * read theirs; the clocks count to the nanosecond, not in ticks, and a
 * thread that ended leaves its time in its process's clock. */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(clock, &ts), 0);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

static void *spinner(void *arg) {
    (void)arg;
    double start = now();
    volatile unsigned long spin = 0;
    while (now() - start < 0.3) spin++;
    /* Stay alive, sleeping, until the main thread has read our clock. */
    usleep(300 * 1000);
    return NULL;
}

static double usage_seconds(const struct rusage *usage) {
    return usage->ru_utime.tv_sec + usage->ru_utime.tv_usec / 1e6 + usage->ru_stime.tv_sec +
           usage->ru_stime.tv_usec / 1e6;
}

/* While this thread spins for 30 ms its clock takes many distinct values
 * (a clock kept in 4 ms ticks takes at most 8), each read no smaller than
 * the one before, and the process clock, read after it, is never behind
 * it. */
static void clocks_are_fine_grained(void) {
    int distinct = 0;
    double last_thread = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    double last_process = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double start = now();
    while (now() - start < 0.03) {
        double thread = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
        double process = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        CHECK(thread >= last_thread);
        CHECK(process >= last_process);
        CHECK(process >= thread);
        distinct += thread != last_thread;
        last_thread = thread;
        last_process = process;
    }
    CHECK(distinct > 20);
}

int main(void) {
    clocks_are_fine_grained();
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
    struct rusage child_usage;
    CHECK_EQ(wait4(child, &status, 0, &child_usage), child);
    /* About the 0.3 s it spun (not zero, not inflated). */
    double spent = usage_seconds(&child_usage);
    CHECK(spent > 0.1 && spent < 0.6);
    struct tms after;
    times(&after);
    CHECK(after.tms_cutime + after.tms_cstime > 0);
    struct rusage usage;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
    CHECK(usage_seconds(&usage) > 0);

    /* A child's rusage is its CPU clock, not a sample of it: within the
     * rounding of a hundredth of a second (sampled timer ticks could say
     * 20 ms, or none, for 35 ms of running). */
    int report[2];
    CHECK_EQ(pipe(report), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        double ran;
        while ((ran = clock_seconds(CLOCK_PROCESS_CPUTIME_ID)) < 0.035) {
        }
        _exit(write(report[1], &ran, sizeof ran) == sizeof ran ? 0 : 1);
    }
    double ran = 0;
    CHECK_EQ(read(report[0], &ran, sizeof ran), (long)sizeof ran);
    CHECK_EQ(wait4(child, &status, 0, &child_usage), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    spent = usage_seconds(&child_usage);
    CHECK(spent > ran - 0.006 && spent < ran + 0.006);
    close(report[0]);
    close(report[1]);

    /* Sleeping costs no CPU time; spinning does. */
    double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double thread0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    usleep(300 * 1000);
    CHECK(clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < 0.1);
    double start = now();
    volatile unsigned long spin = 0;
    while (now() - start < 0.3) spin++;
    double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    double thread = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - thread0;
    CHECK(cpu > 0.15 && cpu < 0.6);
    CHECK(thread > 0.15 && thread < 0.6);

    /* A thread that spun 0.3 s, read from the main thread, which slept. */
    pthread_t busy;
    clockid_t busy_clock;
    CHECK_EQ(pthread_create(&busy, NULL, spinner, NULL), 0);
    CHECK_EQ(pthread_getcpuclockid(busy, &busy_clock), 0);
    double mine0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    usleep(450 * 1000);
    double busy_spent = clock_seconds(busy_clock);
    CHECK(busy_spent > 0.15 && busy_spent < 0.6);
    CHECK(clock_seconds(CLOCK_THREAD_CPUTIME_ID) - mine0 < 0.1);
    CHECK_EQ(pthread_join(busy, NULL), 0);
    /* This process's clock by pid, as CLOCK_PROCESS_CPUTIME_ID reads it,
     * with the joined thread's time in it, and init's (any process may
     * read another's). */
    clockid_t process_clock;
    CHECK_EQ(clock_getcpuclockid(getpid(), &process_clock), 0);
    CHECK(clock_seconds(process_clock) >= cpu + busy_spent);
    CHECK_EQ(clock_getcpuclockid(1, &process_clock), 0);
    CHECK(clock_seconds(process_clock) >= 0);
    return 0;
}

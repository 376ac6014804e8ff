/* ITIMER_VIRTUAL and ITIMER_PROF: CPU-time interval timers. A busy loop
 * gets SIGVTALRM and SIGPROF periodically; sleeping does not count; the
 * setting reads back; a forked child starts without them. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static volatile sig_atomic_t vtalrms, profs;
static void on_vtalrm(int sig) { (void)sig; vtalrms++; }
static void on_prof(int sig) { (void)sig; profs++; }

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct itimerval every(long ms) {
    struct itimerval value = {
        .it_interval = {0, ms * 1000},
        .it_value = {0, ms * 1000},
    };
    return value;
}

int main(void) {
    signal(SIGVTALRM, on_vtalrm);
    signal(SIGPROF, on_prof);
    struct itimerval value = every(40), old;
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &value, &old), 0);
    CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_usec, 0);
    CHECK_EQ(setitimer(ITIMER_PROF, &value, NULL), 0);

    /* Sleeping uses no CPU: no signal. */
    usleep(200 * 1000);
    CHECK_EQ(vtalrms, 0);

    /* Half a second of CPU: about a dozen of each. */
    double start = cpu_seconds();
    volatile unsigned long x = 0;
    /* Mostly user time: the clock is read only now and then. */
    while (cpu_seconds() - start < 0.5)
        for (int i = 0; i < 200000; i++) x++;
    CHECK(vtalrms >= 4);
    CHECK(profs >= 4);

    struct itimerval now;
    CHECK_EQ(getitimer(ITIMER_VIRTUAL, &now), 0);
    CHECK_EQ(now.it_interval.tv_usec, 40000);
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec <= 40000);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct itimerval inherited;
        getitimer(ITIMER_PROF, &inherited);
        _exit(inherited.it_value.tv_sec == 0 && inherited.it_value.tv_usec == 0 ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    struct itimerval off = {0};
    CHECK_EQ(setitimer(ITIMER_VIRTUAL, &off, &old), 0);
    CHECK_EQ(old.it_interval.tv_usec, 40000);
    CHECK_EQ(setitimer(ITIMER_PROF, &off, NULL), 0);
    int before = vtalrms;
    start = cpu_seconds();
    while (cpu_seconds() - start < 0.2)
        for (int i = 0; i < 200000; i++) x++;
    CHECK_EQ(vtalrms, before);
    errno = 0;
    CHECK_EQ(setitimer(5, &value, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    return 0;
}

/* Every CPU is visible and usable: sysconf, the affinity mask, /proc/cpuinfo
 * and /proc/stat agree on the count; pinning a thread to each CPU in turn
 * moves it there (getcpu says so); a mask naming no CPU that exists is
 * refused. Runs the same on one CPU and on several. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static int count_lines(const char *path, const char *prefix, int digit_after) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[512];
    int n = 0;
    size_t len = strlen(prefix);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, prefix, len) != 0) continue;
        if (digit_after && !(line[len] >= '0' && line[len] <= '9')) continue;
        n++;
    }
    fclose(f);
    return n;
}

int main(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(online >= 1);
    cpu_set_t mask;
    CPU_ZERO(&mask);
    CHECK_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    CHECK_EQ(CPU_COUNT(&mask), online);
    CHECK_EQ(count_lines("/proc/cpuinfo", "processor", 0), online);
    CHECK_EQ(count_lines("/proc/stat", "cpu", 1), online);

    for (int cpu = 0; cpu < online; cpu++) {
        CHECK(CPU_ISSET(cpu, &mask));
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
        for (int i = 0; i < 3; i++) {
            CHECK_EQ(sched_getcpu(), cpu);
            sched_yield();
        }
        cpu_set_t back;
        CPU_ZERO(&back);
        CHECK_EQ(sched_getaffinity(0, sizeof back, &back), 0);
        CHECK_EQ(CPU_COUNT(&back), 1);
        CHECK(CPU_ISSET(cpu, &back));
        /* A child inherits the mask and runs where it says. */
        pid_t child = fork();
        if (child == 0) {
            cpu_set_t inherited;
            CPU_ZERO(&inherited);
            if (sched_getaffinity(0, sizeof inherited, &inherited) != 0) _exit(2);
            if (CPU_COUNT(&inherited) != 1 || !CPU_ISSET(cpu, &inherited)) _exit(3);
            if (sched_getcpu() != cpu) _exit(4);
            _exit(0);
        }
        int status;
        CHECK_EQ(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 0);
    }

    /* Only CPUs that do not exist: refused, and the mask is unchanged. */
    if (online < 64) {
        cpu_set_t none;
        CPU_ZERO(&none);
        CPU_SET(63, &none);
        errno = 0;
        CHECK_EQ(sched_setaffinity(0, sizeof none, &none), -1);
        CHECK_EQ(errno, EINVAL);
    }
    CHECK_EQ(sched_setaffinity(0, sizeof mask, &mask), 0);
    return 0;
}

/* Tiny assertion helpers shared by the user-space tests. Each test is a
 * static program that exits 0 when every check held and 1 otherwise. */
#ifndef COURAGE_CHECK_H
#define COURAGE_CHECK_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__, \
                    __LINE__, #cond, errno, strerror(errno));                    \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define CHECK_EQ(a, b)                                                                      \
    do {                                                                                    \
        long long _a = (long long)(a), _b = (long long)(b);                                \
        if (_a != _b) {                                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld (errno %d)\n", __FILE__, \
                    __LINE__, #a, #b, _a, _b, errno);                                       \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

/* Whether this is Courage (uname's sysname), for bounds that are exact
 * here and looser on Linux, whose counters are per-CPU and lazy. */
static inline int on_courage(void) {
    struct utsname name;
    CHECK_EQ(uname(&name), 0);
    return strcmp(name.sysname, "Courage") == 0;
}

/* The first number in a file such as /proc/sys/kernel/threads-max (the
 * check fails if there is none). */
static inline long read_number(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    long value = -1;
    CHECK_EQ(fscanf(f, "%ld", &value), 1);
    fclose(f);
    return value;
}

/* A /proc/meminfo line's value in kB (the check fails if it is missing). */
static inline long meminfo_kb(const char *key) {
    FILE *f = fopen("/proc/meminfo", "r");
    CHECK(f != NULL);
    char line[128], name[64];
    long kb = -1, value;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%63[^:]: %ld kB", name, &value) == 2 && strcmp(name, key) == 0) {
            kb = value;
            break;
        }
    }
    fclose(f);
    CHECK(kb >= 0);
    return kb;
}

#endif

/* Resident memory as ps and top read it: VmRSS and RssAnon in
 * /proc/self/status and the resident column of statm grow when pages are
 * touched and shrink when they are unmapped. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "check.h"

/* The value of `field` (in kB) in /proc/self/status. */
static long status_kb(const char *field) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    CHECK(n > 0);
    buf[n] = 0;
    char *at = strstr(buf, field);
    CHECK(at != NULL);
    return strtol(at + strlen(field) + 1, NULL, 10);
}

static long statm_resident_pages(void) {
    char buf[256];
    int fd = open("/proc/self/statm", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    CHECK(n > 0);
    buf[n] = 0;
    long size, resident;
    CHECK_EQ(sscanf(buf, "%ld %ld", &size, &resident), 2);
    return resident;
}

int main(void) {
    long before = status_kb("VmRSS:");
    CHECK(before > 0);
    size_t len = 4 << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(status_kb("VmRSS:") < before + 1024); /* not touched yet */
    memset(p, 1, len);
    long touched = status_kb("VmRSS:");
    CHECK(touched >= before + 4000);
    CHECK(status_kb("RssAnon:") >= 4000);
    CHECK(statm_resident_pages() * 4 >= touched - 64);
    CHECK_EQ(munmap(p, len), 0);
    CHECK(status_kb("VmRSS:") < touched - 3000);
    return 0;
}

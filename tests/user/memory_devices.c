/* /dev/null, /dev/zero and /dev/full as on Linux: zeros go straight to
 * user memory (up to the first byte that is not there), a write to
 * /dev/null never reads its buffer, and every seek lands on 0. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    /* Two pages, the second unmapped again: a user address with nothing
     * behind it, right after one that is there. */
    char *pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pages != MAP_FAILED);
    char *hole = pages + page;
    CHECK_EQ(munmap(hole, page), 0);

    int null = open("/dev/null", O_RDWR);
    CHECK(null >= 0);
    CHECK_EQ(write(null, hole, 16), 16);
    CHECK_EQ(write(null, "x", 1), 1);
    CHECK_EQ(read(null, pages, 64), 0);
    CHECK_EQ(lseek(null, 0, SEEK_CUR), 0);
    CHECK_EQ(lseek(null, 1234, SEEK_SET), 0);

    int zero = open("/dev/zero", O_RDWR);
    CHECK(zero >= 0);
    static char buffer[3 * 4096 + 5];
    memset(buffer, 0xaa, sizeof buffer);
    CHECK_EQ(read(zero, buffer, sizeof buffer - 1), (long)sizeof buffer - 1);
    for (size_t i = 0; i < sizeof buffer - 1; i++) CHECK_EQ(buffer[i], 0);
    CHECK_EQ((unsigned char)buffer[sizeof buffer - 1], 0xaa);
    CHECK_EQ(lseek(zero, 0, SEEK_CUR), 0);
    CHECK_EQ(write(zero, buffer, 10), 10);
    /* Nothing there: EFAULT (the kernel's fault fixup, not a crash). */
    CHECK_EQ(read(zero, hole, 16), -1);
    CHECK_EQ(errno, EFAULT);
    /* Memory that ends part-way: the bytes up to its end. */
    memset(pages, 0xaa, page);
    CHECK_EQ(read(zero, hole - 40, 100), 40);
    for (int i = 0; i < 40; i++) CHECK_EQ(hole[i - 40], 0);
    CHECK_EQ((unsigned char)hole[-41], 0xaa);
    /* Unaligned, with a tail shorter than a word. */
    CHECK_EQ(read(zero, hole - 13, 100), 13);

    int full = open("/dev/full", O_RDWR);
    CHECK(full >= 0);
    CHECK_EQ(write(full, "x", 1), -1);
    CHECK_EQ(errno, ENOSPC);
    memset(pages, 0xaa, 8);
    CHECK_EQ(read(full, pages, 8), 8);
    CHECK_EQ(pages[7], 0);

    /* The vectored and positioned forms read zeros too. */
    CHECK_EQ(pread(zero, pages, 8, 4096), 8);
    return 0;
}

/* The smallest program: libc start-up, stdout, exit status. */
#include <unistd.h>
#include "check.h"

int main(void) {
    CHECK_EQ(printf("hello from user space\n"), 22);
    CHECK_EQ(fflush(stdout), 0);
    CHECK_EQ(write(1, "", 0), 0);
    CHECK_EQ(write(-1, "x", 1), -1);
    CHECK_EQ(errno, EBADF);
    return 0;
}

/* Named pipes: mkfifo makes one; opening one end waits for the other;
 * data written by one process is read by another; a non-blocking writer
 * without a reader gets ENXIO; the reader sees end of file when the
 * writer closes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define FIFO "/tmp/fifo-test"

int main(void) {
    unlink(FIFO);
    CHECK_EQ(mkfifo(FIFO, 0600), 0);
    struct stat st;
    CHECK_EQ(stat(FIFO, &st), 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(open(FIFO, O_WRONLY | O_NONBLOCK), -1);
    CHECK_EQ(errno, ENXIO);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        /* Blocks until the parent opens for reading. */
        int w = open(FIFO, O_WRONLY);
        if (w < 0) _exit(2);
        if (write(w, "hello, fifo", 11) != 11) _exit(3);
        close(w);
        _exit(0);
    }
    /* Blocks until the child opens for writing. */
    int r = open(FIFO, O_RDONLY);
    CHECK(r >= 0);
    char buf[32] = {0};
    size_t got = 0;
    ssize_t n;
    while ((n = read(r, buf + got, sizeof buf - got)) > 0) got += (size_t)n;
    CHECK_EQ(n, 0); /* the writer closed: end of file */
    CHECK_EQ(got, 11);
    CHECK(memcmp(buf, "hello, fifo", 11) == 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(close(r), 0);

    /* O_RDWR opens at once and talks to itself. */
    int both = open(FIFO, O_RDWR);
    CHECK(both >= 0);
    CHECK_EQ(write(both, "x", 1), 1);
    CHECK_EQ(read(both, buf, 1), 1);
    CHECK_EQ(close(both), 0);
    CHECK_EQ(unlink(FIFO), 0);
    return 0;
}

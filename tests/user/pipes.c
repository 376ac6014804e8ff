#define _GNU_SOURCE
/* Pipes between parent and child: data, EOF, EPIPE, non-blocking reads;
 * pipe sizes (F_GETPIPE_SZ/F_SETPIPE_SZ); a pipe opened anew through
 * /proc/self/fd and /dev/stdin (and sockets and eventfds refused). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include "check.h"

/* F_GETPIPE_SZ/F_SETPIPE_SZ: 64 KiB by default, rounded up to a power of
 * two pages, EBUSY below what is buffered, and the new size bounds writes. */
static void pipe_sizes(void) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192);
    CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 8192);
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
    char buf[8192];
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_EQ(write(p[1], buf, sizeof buf), 4096);
    errno = 0;
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096); /* one page holds it */
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
    CHECK_EQ(write(p[1], buf, sizeof buf), 8192);
    errno = 0;
    CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), -1);
    CHECK_EQ(errno, EBUSY);
    int file = open("/proc/self/stat", O_RDONLY);
    errno = 0;
    CHECK_EQ(fcntl(file, F_GETPIPE_SZ), -1);
    CHECK_EQ(errno, EBADF);
    close(file);
    close(p[0]);
    close(p[1]);
}

/* Opening /proc/self/fd/N of a pipe end makes a new end of that pipe, in
 * any access mode, without waiting for a partner (it is no named FIFO);
 * /dev/stdin leads there, so `cat /dev/stdin` reads a piped input. */
static void reopened_through_proc(void) {
    int p[2];
    char path[64], buffer[16];
    CHECK_EQ(pipe(p), 0);
    struct stat st, reopened_st;
    CHECK_EQ(fstat(p[0], &st), 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(st.st_uid, geteuid());
    /* The read end's link, opened for writing. */
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int writer = open(path, O_WRONLY);
    CHECK(writer >= 0);
    CHECK_EQ(fstat(writer, &reopened_st), 0);
    CHECK_EQ(reopened_st.st_ino, st.st_ino);
    CHECK_EQ(write(writer, "via proc", 8), 8);
    CHECK_EQ(read(p[0], buffer, sizeof buffer), 8);
    CHECK(memcmp(buffer, "via proc", 8) == 0);
    /* Its own link names the pipe, not a path. */
    char link[64], expected[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", writer);
    ssize_t n = readlink(path, link, sizeof link - 1);
    CHECK(n > 0);
    link[n] = 0;
    snprintf(expected, sizeof expected, "pipe:[%lu]", (unsigned long)st.st_ino);
    CHECK(strcmp(link, expected) == 0);
    /* Every writer gone: a reader opened now reads what is left, then EOF,
     * without waiting for a writer. */
    CHECK_EQ(write(p[1], "tail", 4), 4);
    close(writer);
    close(p[1]);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    int reader = open(path, O_RDONLY);
    CHECK(reader >= 0);
    CHECK_EQ(read(reader, buffer, sizeof buffer), 4);
    CHECK_EQ(read(reader, buffer, sizeof buffer), 0);
    close(reader);
    close(p[0]);

    /* Nothing else without a path opens again: ENXIO, as on Linux. */
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
    CHECK_EQ(open(path, O_RDWR), -1);
    CHECK_EQ(errno, ENXIO);
    int counter = eventfd(0, 0);
    CHECK(counter >= 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", counter);
    CHECK_EQ(open(path, O_RDWR), -1);
    CHECK_EQ(errno, ENXIO);
    close(sv[0]);
    close(sv[1]);
    close(counter);

    /* A child whose standard input is a pipe reads it through /dev/stdin. */
    CHECK_EQ(pipe(p), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        int in = open("/dev/stdin", O_RDONLY);
        CHECK(in >= 0);
        CHECK_EQ(read(in, buffer, sizeof buffer), 5);
        CHECK(memcmp(buffer, "piped", 5) == 0);
        _exit(0);
    }
    close(p[0]);
    CHECK_EQ(write(p[1], "piped", 5), 5);
    close(p[1]);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    pipe_sizes();
    reopened_through_proc();
    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        char buffer[4096];
        long total = 0;
        ssize_t n;
        while ((n = read(to_child[0], buffer, sizeof buffer)) > 0) {
            for (ssize_t i = 0; i < n; i++) CHECK_EQ(buffer[i], (char)((total + i) % 251));
            total += n;
        }
        CHECK_EQ(n, 0); /* EOF once the writer closed */
        CHECK_EQ(write(to_parent[1], &total, sizeof total), sizeof total);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    /* 200 KiB: more than the pipe holds, so the writer blocks. */
    static char data[200 * 1024];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i % 251);
    size_t written = 0;
    while (written < sizeof data) {
        ssize_t n = write(to_child[1], data + written, sizeof data - written);
        CHECK(n > 0);
        written += n;
    }
    close(to_child[1]);
    long total = 0;
    CHECK_EQ(read(to_parent[0], &total, sizeof total), sizeof total);
    CHECK_EQ(total, sizeof data);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* No reader: EPIPE (with SIGPIPE ignored). */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    signal(SIGPIPE, SIG_IGN);
    close(p[0]);
    CHECK_EQ(write(p[1], "x", 1), -1);
    CHECK_EQ(errno, EPIPE);
    close(p[1]);

    /* Non-blocking empty read: EAGAIN. */
    CHECK_EQ(pipe2(p, O_NONBLOCK), 0);
    char c;
    CHECK_EQ(read(p[0], &c, 1), -1);
    CHECK_EQ(errno, EAGAIN);
    return 0;
}

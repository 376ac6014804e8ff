/* Pseudo-terminals as libc opens them: posix_openpt, grantpt, unlockpt,
 * ptsname; typing at the master reaches the slave through its line
 * discipline, the slave's output comes back post-processed, ^C typed at
 * the master signals the slave's foreground group, closing the master
 * hangs the slave up, and once every slave closed the master reads what
 * is left, then EIO, and polls POLLHUP. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "check.h"

static void read_exactly(int fd, const char *expected) {
    char buf[64] = {0};
    size_t want = strlen(expected), got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    if (memcmp(buf, expected, want) != 0) {
        fprintf(stderr, "read \"%s\", expected \"%s\"\n", buf, expected);
        exit(1);
    }
}

/* Python's test_pty.test_master_read, and what a terminal emulator sees
 * when its shell exits. */
static void master_after_the_slave_closed(void) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(master >= 0);
    CHECK_EQ(grantpt(master), 0);
    CHECK_EQ(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    CHECK_EQ(write(slave, "bye", 3), 3);
    close(slave);
    struct pollfd ready = {.fd = master, .events = POLLIN};
    CHECK_EQ(poll(&ready, 1, 1000), 1);
    CHECK(ready.revents & POLLHUP);
    char buffer[16];
    CHECK_EQ(read(master, buffer, sizeof buffer), 3);
    CHECK_EQ(read(master, buffer, sizeof buffer), -1);
    CHECK_EQ(errno, EIO);
    close(master);
}

int main(void) {
    master_after_the_slave_closed();
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(master >= 0);
    CHECK_EQ(grantpt(master), 0);
    char *name = ptsname(master);
    CHECK(name != NULL);
    CHECK(strncmp(name, "/dev/pts/", 9) == 0);
    unsigned number = 99;
    CHECK_EQ(ioctl(master, TIOCGPTN, &number), 0);
    CHECK_EQ(number, atoi(name + 9));
    /* Locked until unlockpt. */
    CHECK_EQ(open(name, O_RDWR | O_NOCTTY), -1);
    CHECK_EQ(errno, EIO);
    CHECK_EQ(unlockpt(master), 0);
    int slave = open(name, O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    CHECK(isatty(slave));

    /* Canonical mode: a line for the slave, its echo for the master. */
    CHECK_EQ(write(master, "hello\r", 6), 6);
    read_exactly(slave, "hello\n");
    read_exactly(master, "hello\r\n");
    CHECK_EQ(write(slave, "out\n", 4), 4);
    read_exactly(master, "out\r\n");

    /* Raw mode: bytes at once, no echo. */
    struct termios t, cooked;
    CHECK_EQ(tcgetattr(slave, &cooked), 0);
    t = cooked;
    cfmakeraw(&t);
    CHECK_EQ(tcsetattr(slave, TCSANOW, &t), 0);
    CHECK_EQ(write(master, "abc", 3), 3);
    read_exactly(slave, "abc");
    CHECK_EQ(tcsetattr(slave, TCSANOW, &cooked), 0);

    /* ^C at the master interrupts the slave's foreground group. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK(setsid() > 0);
        CHECK_EQ(ioctl(slave, TIOCSCTTY, 0), 0);
        CHECK_EQ(tcgetpgrp(slave), getpid());
        /* /dev/tty is now this pseudo-terminal. */
        int tty = open("/dev/tty", O_RDWR);
        CHECK(tty >= 0);
        write(tty, "ready\n", 6);
        for (;;)
            pause();
    }
    read_exactly(master, "ready\r\n");
    CHECK_EQ(write(master, "\x03", 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);

    /* Closing the master hangs the slave up. */
    CHECK_EQ(close(master), 0);
    char c;
    CHECK_EQ(read(slave, &c, 1), 0);
    CHECK_EQ(write(slave, "x", 1), -1);
    CHECK_EQ(errno, EIO);
    return 0;
}

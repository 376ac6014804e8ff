/* The line discipline on a pseudo-terminal, byte for byte as Linux's n_tty
 * does it. Writing at the master is typing, reading at the slave is what
 * the program gets, reading at the master is what the screen shows.
 * Covers the default termios, canonical editing (ERASE, KILL, WERASE,
 * LNEXT, EOF), the echo flags, input and output translations, the four
 * VMIN/VTIME cases, INTR/QUIT/SUSP signalling the foreground group (and
 * NOFLSH), and FIONREAD, tcflush, tcdrain and tcsendbreak. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "termios: watchdog expired\n";
    write(2, msg, sizeof msg - 1);
    _exit(1);
}

/* Every process arms one, so a missing wake-up fails instead of hanging. */
static void watchdog(unsigned seconds) {
    signal(SIGALRM, on_alarm);
    alarm(seconds);
}

static void open_pty(int *master, int *slave) {
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(*master >= 0);
    CHECK_EQ(grantpt(*master), 0);
    CHECK_EQ(unlockpt(*master), 0);
    char *name = ptsname(*master);
    CHECK(name != NULL);
    *slave = open(name, O_RDWR | O_NOCTTY);
    CHECK(*slave >= 0);
}

static void close_pty(int master, int slave) {
    CHECK_EQ(close(slave), 0);
    CHECK_EQ(close(master), 0);
}

static void type(int master, const char *text) {
    size_t n = strlen(text);
    CHECK_EQ(write(master, text, n), n);
}

static void show(const char *what, const char *s, size_t n) {
    fprintf(stderr, "%s \"", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\"\n");
}

static void mismatch(const char *got, size_t got_n, const char *want, size_t want_n) {
    show("got", got, got_n);
    show("expected", want, want_n);
}

/* One read() returns exactly `want`: how a canonical read hands out a line. */
#define EXPECT_READ(fd, want)                                           \
    do {                                                                \
        char _buf[256];                                                 \
        size_t _n = strlen(want);                                       \
        ssize_t _got = read(fd, _buf, sizeof _buf);                     \
        if (_got < 0 || (size_t)_got != _n || memcmp(_buf, want, _n)) { \
            mismatch(_buf, _got < 0 ? 0 : (size_t)_got, want, _n);     \
            CHECK(!"read returned what was expected");                  \
        }                                                               \
    } while (0)

/* The master shows exactly `want` next, however many reads it takes; an
 * earlier stray echo would show up as a mismatch here. */
#define EXPECT_SHOWN(master, want)                                       \
    do {                                                                 \
        char _buf[256];                                                  \
        size_t _n = strlen(want), _have = 0;                             \
        while (_have < _n) {                                             \
            ssize_t _got = read(master, _buf + _have, _n - _have);       \
            CHECK(_got > 0);                                             \
            _have += (size_t)_got;                                       \
        }                                                                \
        if (memcmp(_buf, want, _n)) {                                    \
            mismatch(_buf, _n, want, _n);                                \
            CHECK(!"the master showed what was expected");               \
        }                                                                \
    } while (0)

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    CHECK(n >= 0);
    return n;
}

static struct termios get(int fd) {
    struct termios t;
    CHECK_EQ(tcgetattr(fd, &t), 0);
    return t;
}

static void set(int fd, const struct termios *t) { CHECK_EQ(tcsetattr(fd, TCSANOW, t), 0); }

static void set_lflag(int fd, tcflag_t on, tcflag_t off) {
    struct termios t = get(fd);
    t.c_lflag = (t.c_lflag | on) & ~off;
    set(fd, &t);
}

static void set_iflag(int fd, tcflag_t on, tcflag_t off) {
    struct termios t = get(fd);
    t.c_iflag = (t.c_iflag | on) & ~off;
    set(fd, &t);
}

static void set_oflag(int fd, tcflag_t on, tcflag_t off) {
    struct termios t = get(fd);
    t.c_oflag = (t.c_oflag | on) & ~off;
    set(fd, &t);
}

static void noncanonical(int fd, int vmin, int vtime) {
    struct termios t = get(fd);
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = (cc_t)vmin;
    t.c_cc[VTIME] = (cc_t)vtime;
    set(fd, &t);
}

static long now_ms(void) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A fresh pty slave starts with Linux's tty_std_termios. */
static void defaults(void) {
    int m, s;
    open_pty(&m, &s);
    struct termios t = get(s);
    CHECK_EQ(t.c_iflag, ICRNL | IXON);
    CHECK_EQ(t.c_oflag, OPOST | ONLCR);
    CHECK_EQ(t.c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
    CHECK_EQ(t.c_cflag & (CSIZE | CREAD), CS8 | CREAD);
    CHECK_EQ(cfgetospeed(&t), B38400);
    CHECK_EQ(t.c_cc[VINTR], 0x03);
    CHECK_EQ(t.c_cc[VQUIT], 0x1c);
    CHECK_EQ(t.c_cc[VERASE], 0x7f);
    CHECK_EQ(t.c_cc[VKILL], 0x15);
    CHECK_EQ(t.c_cc[VEOF], 0x04);
    CHECK_EQ(t.c_cc[VSUSP], 0x1a);
    CHECK_EQ(t.c_cc[VWERASE], 0x17);
    CHECK_EQ(t.c_cc[VLNEXT], 0x16);
    CHECK_EQ(t.c_cc[VMIN], 1);
    CHECK_EQ(t.c_cc[VTIME], 0);
    close_pty(m, s);
}

static void canonical_editing(void) {
    int m, s;
    open_pty(&m, &s);

    /* Nothing is readable until the newline; then one line per read. */
    type(m, "abc");
    CHECK_EQ(readable(s, 0), 0);
    int avail = -1;
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 0);
    type(m, "\n");
    EXPECT_READ(s, "abc\n");
    EXPECT_SHOWN(m, "abc\r\n");
    type(m, "one\ntwo\n");
    EXPECT_READ(s, "one\n");
    EXPECT_READ(s, "two\n");
    EXPECT_SHOWN(m, "one\r\ntwo\r\n");

    /* ERASE (DEL) rubs out one character; ECHOE shows it as "\b \b". */
    type(m, "abx\x7f" "c\n");
    EXPECT_READ(s, "abc\n");
    EXPECT_SHOWN(m, "abx\b \bc\r\n");
    /* ERASE on an empty line does nothing and echoes nothing. */
    type(m, "\x7f" "z\n");
    EXPECT_READ(s, "z\n");
    EXPECT_SHOWN(m, "z\r\n");

    /* KILL (^U) with the default ECHOKE rubs out the whole line visibly. */
    type(m, "xyz\x15" "ok\n");
    EXPECT_READ(s, "ok\n");
    EXPECT_SHOWN(m, "xyz\b \b\b \b\b \bok\r\n");
    /* ECHOK without ECHOKE: echo the KILL character, then a newline. */
    set_lflag(s, 0, ECHOKE);
    type(m, "xyz\x15" "ok\n");
    EXPECT_READ(s, "ok\n");
    EXPECT_SHOWN(m, "xyz^U\r\nok\r\n");
    /* Neither: just the KILL character. */
    set_lflag(s, 0, ECHOK);
    type(m, "xyz\x15" "ok\n");
    EXPECT_READ(s, "ok\n");
    EXPECT_SHOWN(m, "xyz^Uok\r\n");
    set_lflag(s, ECHOK | ECHOKE, 0);

    /* WERASE (^W) rubs out the last word, not the blank before it. */
    type(m, "foo bar\x17" "baz\n");
    EXPECT_READ(s, "foo baz\n");
    EXPECT_SHOWN(m, "foo bar\b \b\b \b\b \bbaz\r\n");

    /* LNEXT (^V) quotes the next character: a quoted ^U is data, not a
     * KILL; it echoes as "^\b" then the character. */
    type(m, "\x16\x03\x16\x15\n");
    EXPECT_READ(s, "\x03\x15\n");
    EXPECT_SHOWN(m, "^\b^C^\b^U\r\n");

    /* EOF (^D): on an empty line read() returns 0; after text it hands the
     * text over without a newline. EOF itself is never echoed. */
    type(m, "\x04");
    char c;
    CHECK_EQ(read(s, &c, 1), 0);
    type(m, "abc\x04");
    EXPECT_READ(s, "abc");
    type(m, "\n");
    EXPECT_READ(s, "\n");
    EXPECT_SHOWN(m, "abc\r\n");

    /* A read shorter than the line leaves the rest for the next one. */
    type(m, "hello\n");
    char two[2];
    CHECK_EQ(read(s, two, 2), 2);
    CHECK(memcmp(two, "he", 2) == 0);
    EXPECT_READ(s, "llo\n");
    EXPECT_SHOWN(m, "hello\r\n");
    close_pty(m, s);
}

static void echo_flags(void) {
    int m, s;
    open_pty(&m, &s);

    /* ECHO off: the program still gets the line, the screen shows nothing
     * (the next thing shown is the marker typed with ECHO back on). */
    set_lflag(s, 0, ECHO);
    type(m, "secret\n");
    EXPECT_READ(s, "secret\n");
    set_lflag(s, ECHO, 0);
    type(m, "m\n");
    EXPECT_READ(s, "m\n");
    EXPECT_SHOWN(m, "m\r\n");

    /* ECHONL with ECHO off: only the newline is echoed. */
    set_lflag(s, ECHONL, ECHO);
    type(m, "pw\n");
    EXPECT_READ(s, "pw\n");
    set_lflag(s, ECHO, ECHONL);
    type(m, "m\n");
    EXPECT_READ(s, "m\n");
    EXPECT_SHOWN(m, "\r\nm\r\n");

    /* ECHOCTL shows control characters as ^X (tab stays a tab); without
     * it they are echoed raw. ISIG off so ^C is plain data. */
    set_lflag(s, 0, ISIG);
    type(m, "\x01\x03\t\n");
    EXPECT_READ(s, "\x01\x03\t\n");
    EXPECT_SHOWN(m, "^A^C\t\r\n");
    set_lflag(s, 0, ECHOCTL);
    type(m, "\x01\x03\n");
    EXPECT_READ(s, "\x01\x03\n");
    EXPECT_SHOWN(m, "\x01\x03\r\n");
    close_pty(m, s);
}

static void translations(void) {
    int m, s;
    open_pty(&m, &s);
    set_lflag(s, 0, ECHO);

    /* ICRNL (default): Enter sends \r, the program sees \n. */
    type(m, "a\r");
    EXPECT_READ(s, "a\n");
    /* Without ICRNL \r is ordinary data and does not end the line. */
    set_iflag(s, 0, ICRNL);
    type(m, "a\rb\n");
    EXPECT_READ(s, "a\rb\n");
    /* IGNCR drops \r. */
    set_iflag(s, IGNCR, 0);
    type(m, "a\rb\n");
    EXPECT_READ(s, "ab\n");
    set_iflag(s, 0, IGNCR);
    /* INLCR maps \n to \r (seen in non-canonical mode). */
    set_iflag(s, INLCR, 0);
    noncanonical(s, 3, 0);
    type(m, "a\nb");
    EXPECT_READ(s, "a\rb");
    close_pty(m, s);

    open_pty(&m, &s);
    /* OPOST+ONLCR (default): \n goes out as \r\n. */
    CHECK_EQ(write(s, "x\ny\n", 4), 4);
    EXPECT_SHOWN(m, "x\r\ny\r\n");
    /* ONLCR off: \n stays \n. */
    set_oflag(s, 0, ONLCR);
    CHECK_EQ(write(s, "x\n", 2), 2);
    EXPECT_SHOWN(m, "x\n");
    /* OPOST off: raw output, whatever the other o-flags say. */
    set_oflag(s, ONLCR, OPOST);
    CHECK_EQ(write(s, "r\n\r", 3), 3);
    EXPECT_SHOWN(m, "r\n\r");
    close_pty(m, s);
}

static void min_time(void) {
    int m, s;
    open_pty(&m, &s);
    char buf[16];
    long t0, dt;

    /* MIN=0 TIME=0: a poll; empty gives 0 at once, typed data is returned. */
    noncanonical(s, 0, 0);
    t0 = now_ms();
    CHECK_EQ(read(s, buf, sizeof buf), 0);
    CHECK(now_ms() - t0 < 100);
    type(m, "q");
    EXPECT_READ(s, "q");

    /* MIN=0 TIME=2: waits up to 200 ms for the first byte. */
    noncanonical(s, 0, 2);
    t0 = now_ms();
    CHECK_EQ(read(s, buf, sizeof buf), 0);
    dt = now_ms() - t0;
    CHECK(dt >= 150 && dt < 1000);
    type(m, "w");
    t0 = now_ms();
    EXPECT_READ(s, "w");
    CHECK(now_ms() - t0 < 150);

    /* MIN=3 TIME=0: blocks until three bytes, however they trickle in. */
    noncanonical(s, 3, 0);
    type(m, "x");
    pid_t typist = fork();
    CHECK(typist >= 0);
    if (typist == 0) {
        watchdog(3);
        usleep(100 * 1000);
        type(m, "yz");
        _exit(0);
    }
    t0 = now_ms();
    EXPECT_READ(s, "xyz");
    dt = now_ms() - t0;
    CHECK(dt >= 50 && dt < 1000);
    int status;
    CHECK_EQ(waitpid(typist, &status, 0), typist);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* MIN=2 TIME=2: after the first byte an inter-byte timer of 200 ms;
     * when it expires read() returns what it has. */
    noncanonical(s, 2, 2);
    type(m, "k");
    t0 = now_ms();
    EXPECT_READ(s, "k");
    dt = now_ms() - t0;
    CHECK(dt >= 150 && dt < 1000);
    /* With MIN bytes there already, no waiting. */
    type(m, "ab");
    t0 = now_ms();
    EXPECT_READ(s, "ab");
    CHECK(now_ms() - t0 < 150);
    close_pty(m, s);
}

/* The foreground process: a session leader with the slave as controlling
 * terminal. Its handlers report each signal as one byte on `report`; it
 * exits 0 when `control` is closed. */
static int report_fd;
static void report_signal(int sig) {
    char c = (char)sig;
    write(report_fd, &c, 1);
}

static void foreground(int slave, int control, int report) {
    watchdog(4);
    report_fd = report;
    CHECK(setsid() > 0);
    CHECK_EQ(ioctl(slave, TIOCSCTTY, 0), 0);
    CHECK_EQ(tcgetpgrp(slave), getpid());
    struct sigaction sa = {0};
    sa.sa_handler = report_signal;
    CHECK_EQ(sigaction(SIGINT, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGQUIT, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGTSTP, &sa, NULL), 0);
    CHECK_EQ(write(report, "r", 1), 1);
    char c;
    for (;;) {
        ssize_t n = read(control, &c, 1);
        if (n == 0)
            exit(0);
        CHECK(n < 0 && errno == EINTR);
    }
}

static void expect_signal(int report, int sig) {
    char c;
    CHECK_EQ(read(report, &c, 1), 1);
    CHECK_EQ(c, sig);
}

static void signal_characters(void) {
    int m, s, control[2], report[2];
    open_pty(&m, &s);
    CHECK_EQ(pipe(control), 0);
    CHECK_EQ(pipe(report), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(control[1]);
        close(report[0]);
        foreground(s, control[0], report[1]);
    }
    close(control[0]);
    close(report[1]);
    char c;
    CHECK_EQ(read(report[0], &c, 1), 1);
    CHECK_EQ(c, 'r');
    CHECK_EQ(tcgetpgrp(m), child);

    /* INTR, QUIT and SUSP signal the foreground group and echo as ^X. */
    type(m, "\x03");
    expect_signal(report[0], SIGINT);
    EXPECT_SHOWN(m, "^C");
    type(m, "\x1c");
    expect_signal(report[0], SIGQUIT);
    EXPECT_SHOWN(m, "^\\");
    type(m, "\x1a");
    expect_signal(report[0], SIGTSTP);
    EXPECT_SHOWN(m, "^Z");

    /* LNEXT: a quoted ^C is data and sends nothing (else SIGINT, being the
     * lower number, would be reported before the SIGQUIT that follows). */
    type(m, "\x16\x03\n");
    EXPECT_READ(s, "\x03\n");
    EXPECT_SHOWN(m, "^\b^C\r\n");
    type(m, "\x1c");
    expect_signal(report[0], SIGQUIT);
    EXPECT_SHOWN(m, "^\\");

    /* Without NOFLSH, INTR throws away the half-typed line. */
    type(m, "abc");
    EXPECT_SHOWN(m, "abc");
    type(m, "\x03");
    expect_signal(report[0], SIGINT);
    EXPECT_SHOWN(m, "^C");
    type(m, "d\n");
    EXPECT_READ(s, "d\n");
    EXPECT_SHOWN(m, "d\r\n");
    /* With NOFLSH it stays. */
    set_lflag(s, NOFLSH, 0);
    type(m, "abc");
    EXPECT_SHOWN(m, "abc");
    type(m, "\x03");
    expect_signal(report[0], SIGINT);
    EXPECT_SHOWN(m, "^C");
    type(m, "d\n");
    EXPECT_READ(s, "abcd\n");
    EXPECT_SHOWN(m, "d\r\n");
    set_lflag(s, 0, NOFLSH);

    /* ISIG off: the same bytes are read as data and signal nobody; the
     * next report is the SIGINT from after ISIG is back on. */
    set_lflag(s, 0, ISIG);
    type(m, "\x03\x1c\x1a\n");
    EXPECT_READ(s, "\x03\x1c\x1a\n");
    EXPECT_SHOWN(m, "^C^\\^Z\r\n");
    set_lflag(s, ISIG, 0);
    type(m, "\x03");
    expect_signal(report[0], SIGINT);
    EXPECT_SHOWN(m, "^C");

    close(control[1]);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(report[0]);
    close_pty(m, s);
}

static void queue_control(void) {
    int m, s, avail;
    open_pty(&m, &s);
    set_lflag(s, 0, ECHO);

    /* Canonical FIONREAD counts complete lines only. */
    type(m, "abc\ndef");
    CHECK_EQ(readable(s, 1000), 1);
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 4);
    /* TCIFLUSH discards everything typed, the partial line too. */
    CHECK_EQ(tcflush(s, TCIFLUSH), 0);
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 0);
    CHECK_EQ(readable(s, 0), 0);
    type(m, "g\n");
    EXPECT_READ(s, "g\n");

    /* Non-canonical FIONREAD counts bytes. */
    noncanonical(s, 1, 0);
    type(m, "12345");
    CHECK_EQ(readable(s, 1000), 1);
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 5);
    CHECK_EQ(tcflush(s, TCIFLUSH), 0);
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 0);
    type(m, "6");
    EXPECT_READ(s, "6");

    /* TCSAFLUSH also discards pending input. */
    type(m, "789");
    CHECK_EQ(readable(s, 1000), 1);
    struct termios t = get(s);
    CHECK_EQ(tcsetattr(s, TCSAFLUSH, &t), 0);
    CHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
    CHECK_EQ(avail, 0);

    /* Output side: nothing to wait for, and a pty takes a break quietly. */
    CHECK_EQ(write(s, "out", 3), 3);
    CHECK_EQ(tcdrain(s), 0);
    CHECK_EQ(tcsendbreak(s, 0), 0);
    CHECK_EQ(ioctl(s, TCSBRK, 0), 0);
    CHECK_EQ(ioctl(s, TCSBRK, 1), 0);
    EXPECT_SHOWN(m, "out");
    close_pty(m, s);
}

int main(void) {
    watchdog(8);
    defaults();
    canonical_editing();
    echo_flags();
    translations();
    min_time();
    signal_characters();
    queue_control();
    return 0;
}

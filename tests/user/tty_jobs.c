/* Controlling terminals and job control on a pseudo-terminal, as Linux
 * does them: acquiring a controlling terminal (TIOCSCTTY, open without
 * O_NOCTTY) and who may not, foreground process groups (tcsetpgrp and its
 * errors), SIGTTIN/SIGTTOU for background reads, writes and tcsetpgrp,
 * EIO for an orphaned group, window size and SIGWINCH, hangup when the
 * master closes, the controlling process exiting, and TIOCNOTTY. Each case
 * runs in a session of its own on a fresh pty, so the test needs no
 * terminal of its own. */
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

struct pty {
    int master, slave;
    char name[64];
};

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "tty_jobs: watchdog expired\n";
    write(2, msg, sizeof msg - 1);
    _exit(1);
}

/* Every process arms one, so a missing wake-up fails instead of hanging. */
static void watchdog(unsigned seconds) {
    signal(SIGALRM, on_alarm);
    alarm(seconds);
}

static struct pty open_pty(void) {
    struct pty p;
    p.master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(p.master >= 0);
    CHECK_EQ(grantpt(p.master), 0);
    CHECK_EQ(unlockpt(p.master), 0);
    char *name = ptsname(p.master);
    CHECK(name != NULL);
    CHECK(strlen(name) < sizeof p.name);
    strcpy(p.name, name);
    p.slave = open(p.name, O_RDWR | O_NOCTTY);
    CHECK(p.slave >= 0);
    return p;
}

static void close_pty(struct pty *p) {
    CHECK_EQ(close(p->slave), 0);
    CHECK_EQ(close(p->master), 0);
}

/* The master shows exactly `want` next, however many reads it takes. */
static void expect_shown(int master, const char *want) {
    char buf[64] = {0};
    size_t n = strlen(want), have = 0;
    while (have < n) {
        ssize_t got = read(master, buf + have, n - have);
        CHECK(got > 0);
        have += (size_t)got;
    }
    if (memcmp(buf, want, n) != 0) {
        fprintf(stderr, "master showed \"%s\", expected \"%s\"\n", buf, want);
        exit(1);
    }
}

static void mask(int how, int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    CHECK_EQ(sigprocmask(how, &set, NULL), 0);
}

static void expect_exit0(pid_t pid) {
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %d: status %#x\n", (int)pid, status);
        exit(1);
    }
}

/* The child stops with `sig`; it is then killed and reaped. */
static void expect_stop(pid_t pid, int sig) {
    int status;
    CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
    if (!WIFSTOPPED(status)) {
        fprintf(stderr, "child %d did not stop: status %#x\n", (int)pid, status);
        exit(1);
    }
    CHECK_EQ(WSTOPSIG(status), sig);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Runs fn in a new session (no controlling terminal yet) and checks it
 * exits 0. */
static void in_session(void (*fn)(struct pty *), struct pty *p) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        watchdog(5);
        CHECK_EQ(setsid(), getpid());
        fn(p);
        exit(0);
    }
    expect_exit0(pid);
}

static void take_ctty(struct pty *p) {
    CHECK_EQ(ioctl(p->slave, TIOCSCTTY, 0), 0);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
}

/* Forks a member of the caller's session in a process group of its own,
 * with no signals blocked, running fn there. */
static pid_t spawn_group(void (*fn)(struct pty *), struct pty *p) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        watchdog(4);
        CHECK_EQ(setpgid(0, 0), 0);
        sigset_t none;
        sigemptyset(&none);
        CHECK_EQ(sigprocmask(SIG_SETMASK, &none, NULL), 0);
        fn(p);
        exit(0);
    }
    /* Both sides set it, so it holds whichever runs first. */
    setpgid(pid, pid);
    return pid;
}

static pid_t dead_pid(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(0);
    expect_exit0(pid);
    return pid;
}

/* ---- acquiring a controlling terminal ---- */

static struct pty second;

static void nonleader_sctty(struct pty *p) {
    (void)p;
    CHECK_EQ(ioctl(second.slave, TIOCSCTTY, 0), -1);
    CHECK_EQ(errno, EPERM);
}

static void other_leader_sctty(struct pty *p) {
    CHECK_EQ(setsid(), getpid());
    CHECK_EQ(ioctl(p->slave, TIOCSCTTY, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(tcgetpgrp(p->slave), -1);
    CHECK_EQ(errno, ENOTTY);
}

static void sctty(struct pty *p) {
    /* A fresh session has no controlling terminal. */
    CHECK_EQ(tcgetpgrp(p->slave), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(tcgetsid(p->slave), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(open("/dev/tty", O_RDWR), -1);
    CHECK_EQ(errno, ENXIO);

    CHECK_EQ(ioctl(p->slave, TIOCSCTTY, 0), 0);
    CHECK_EQ(tcgetsid(p->slave), getpid());
    CHECK_EQ(tcgetpgrp(p->slave), getpid());
    /* Asking again for the same terminal is fine. */
    CHECK_EQ(ioctl(p->slave, TIOCSCTTY, 0), 0);
    /* /dev/tty is now this terminal. */
    int tty = open("/dev/tty", O_RDWR);
    CHECK(tty >= 0);
    CHECK_EQ(tcgetsid(tty), getpid());
    CHECK_EQ(write(tty, "hi\n", 3), 3);
    expect_shown(p->master, "hi\r\n");
    CHECK_EQ(close(tty), 0);
    /* The master side reports the slave's session and foreground group. */
    CHECK_EQ(tcgetsid(p->master), getpid());
    CHECK_EQ(tcgetpgrp(p->master), getpid());

    /* A session has one controlling terminal. */
    CHECK_EQ(ioctl(second.slave, TIOCSCTTY, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(tcgetpgrp(second.slave), -1);
    CHECK_EQ(errno, ENOTTY);
    /* Only a session leader may acquire one. */
    expect_exit0(spawn_group(nonleader_sctty, p));
    /* A terminal is the controlling terminal of one session only. */
    pid_t other = fork();
    CHECK(other >= 0);
    if (other == 0) {
        watchdog(4);
        other_leader_sctty(p);
        exit(0);
    }
    expect_exit0(other);
    CHECK_EQ(tcgetsid(p->slave), getpid());
}

static void open_nonleader(struct pty *p) {
    int fd = open(p->name, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(tcgetpgrp(fd), -1);
    CHECK_EQ(errno, ENOTTY);
}

static void open_acquires(struct pty *p) {
    /* A process that is not a session leader does not acquire it. */
    expect_exit0(spawn_group(open_nonleader, p));
    /* Neither does a leader opening with O_NOCTTY. */
    int fd = open(p->name, O_RDWR | O_NOCTTY);
    CHECK(fd >= 0);
    pid_t pgrp = 0;
    CHECK_EQ(ioctl(fd, TIOCGPGRP, &pgrp), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(close(fd), 0);
    /* A leader without a controlling terminal opening without O_NOCTTY
     * does; it belongs to the terminal, so every fd of it sees it. */
    fd = open(p->name, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(tcgetsid(fd), getpid());
    CHECK_EQ(ioctl(fd, TIOCGPGRP, &pgrp), 0);
    CHECK_EQ(pgrp, getpid());
    CHECK_EQ(tcgetpgrp(p->slave), getpid());
    CHECK_EQ(close(fd), 0);
    /* It stays after that fd is closed. */
    CHECK_EQ(tcgetsid(p->slave), getpid());
}

/* ---- foreground process group ---- */

static void idle(struct pty *p) {
    (void)p;
    for (;;)
        pause();
}

static void bg_tcsetpgrp(struct pty *p) {
    tcsetpgrp(p->slave, getpgrp());
    exit(3); /* not stopped */
}

static void bg_tcsetpgrp_blocked(struct pty *p) {
    mask(SIG_BLOCK, SIGTTOU);
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
}

static void bg_tcsetpgrp_ignored(struct pty *p) {
    signal(SIGTTOU, SIG_IGN);
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
}

static void bg_tcsetattr(struct pty *p) {
    struct termios t;
    /* Reading the settings is allowed in the background, changing them is
     * not. */
    CHECK_EQ(tcgetattr(p->slave, &t), 0);
    CHECK_EQ(tcgetpgrp(p->slave), getsid(0));
    tcsetattr(p->slave, TCSANOW, &t);
    exit(3);
}

static void pgrp(struct pty *p) {
    take_ctty(p);
    /* The leader blocks SIGTTOU, so it can take the terminal back from
     * the background. */
    mask(SIG_BLOCK, SIGTTOU);

    /* Another group of the same session can be made the foreground. */
    pid_t g = spawn_group(idle, p);
    CHECK_EQ(tcsetpgrp(p->slave, g), 0);
    CHECK_EQ(tcgetpgrp(p->slave), g);
    CHECK_EQ(tcgetpgrp(p->master), g);
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
    CHECK_EQ(kill(g, SIGKILL), 0);
    CHECK_EQ(waitpid(g, NULL, 0), g);

    /* Groups that do not exist, of another session, or negative. */
    CHECK_EQ(tcsetpgrp(p->slave, dead_pid()), -1);
    CHECK_EQ(errno, ESRCH);
    CHECK_EQ(tcsetpgrp(p->slave, getpgid(getppid())), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(tcsetpgrp(p->slave, -1), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
    /* Not the caller's controlling terminal. */
    struct pty other = open_pty();
    CHECK_EQ(tcsetpgrp(other.slave, getpgrp()), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(tcgetpgrp(other.slave), -1);
    CHECK_EQ(errno, ENOTTY);
    close_pty(&other);

    /* From the background: stopped by SIGTTOU unless it is blocked or
     * ignored. */
    expect_stop(spawn_group(bg_tcsetpgrp, p), SIGTTOU);
    CHECK_EQ(tcgetpgrp(p->slave), getpgrp());
    expect_exit0(spawn_group(bg_tcsetpgrp_blocked, p));
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
    expect_exit0(spawn_group(bg_tcsetpgrp_ignored, p));
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
    /* tcsetattr from the background likewise. */
    expect_stop(spawn_group(bg_tcsetattr, p), SIGTTOU);
}

/* ---- background reads and writes ---- */

static void bg_read(struct pty *p) {
    char c;
    read(p->slave, &c, 1);
    exit(3);
}

static void bg_read_ignored(struct pty *p) {
    signal(SIGTTIN, SIG_IGN);
    char c;
    CHECK_EQ(read(p->slave, &c, 1), -1);
    CHECK_EQ(errno, EIO);
}

static void bg_read_blocked(struct pty *p) {
    mask(SIG_BLOCK, SIGTTIN);
    char c;
    CHECK_EQ(read(p->slave, &c, 1), -1);
    CHECK_EQ(errno, EIO);
}

static void background_read(struct pty *p) {
    take_ctty(p);
    /* The foreground reads. */
    CHECK_EQ(write(p->master, "x\r", 2), 2);
    char buf[8];
    CHECK_EQ(read(p->slave, buf, sizeof buf), 2);
    expect_shown(p->master, "x\r\n");
    /* The background is stopped by SIGTTIN; if it ignores or blocks that
     * signal, read fails with EIO. */
    expect_stop(spawn_group(bg_read, p), SIGTTIN);
    expect_exit0(spawn_group(bg_read_ignored, p));
    expect_exit0(spawn_group(bg_read_blocked, p));
}

static void bg_write_ok(struct pty *p) { CHECK_EQ(write(p->slave, "bg\n", 3), 3); }

static void bg_write_stopped(struct pty *p) {
    write(p->slave, "st\n", 3);
    exit(3);
}

static void bg_write_ignored(struct pty *p) {
    signal(SIGTTOU, SIG_IGN);
    CHECK_EQ(write(p->slave, "ig\n", 3), 3);
}

static void bg_write_blocked(struct pty *p) {
    mask(SIG_BLOCK, SIGTTOU);
    CHECK_EQ(write(p->slave, "bk\n", 3), 3);
}

static void background_write(struct pty *p) {
    take_ctty(p);
    /* Without TOSTOP the background may write. */
    expect_exit0(spawn_group(bg_write_ok, p));
    expect_shown(p->master, "bg\r\n");
    /* With TOSTOP it is stopped by SIGTTOU before writing anything,
     * unless it ignores or blocks SIGTTOU. */
    struct termios t;
    CHECK_EQ(tcgetattr(p->slave, &t), 0);
    t.c_lflag |= TOSTOP;
    CHECK_EQ(tcsetattr(p->slave, TCSANOW, &t), 0);
    expect_stop(spawn_group(bg_write_stopped, p), SIGTTOU);
    expect_exit0(spawn_group(bg_write_ignored, p));
    expect_shown(p->master, "ig\r\n");
    expect_exit0(spawn_group(bg_write_blocked, p));
    expect_shown(p->master, "bk\r\n");
    /* The foreground still writes. */
    CHECK_EQ(write(p->slave, "fg\n", 3), 3);
    expect_shown(p->master, "fg\r\n");
}

/* ---- orphaned process group ---- */

static void orphaned(struct pty *p) {
    take_ctty(p);
    int report[2];
    CHECK_EQ(pipe(report), 0);
    pid_t middle = fork();
    CHECK(middle >= 0);
    if (middle == 0) {
        watchdog(4);
        pid_t self = getpid();
        pid_t orphan = fork();
        CHECK(orphan >= 0);
        if (orphan == 0) {
            watchdog(4);
            CHECK_EQ(setpgid(0, 0), 0);
            /* Once `middle` is gone no member of this group has a parent
             * in another group of the session: the group is orphaned, and
             * a background read fails instead of stopping it. */
            while (getppid() == self)
                usleep(1000);
            char c, result = 'E';
            if (read(p->slave, &c, 1) != -1 || errno != EIO)
                result = 'X';
            write(report[1], &result, 1);
            _exit(0);
        }
        CHECK_EQ(setpgid(orphan, orphan), 0);
        _exit(0);
    }
    CHECK_EQ(close(report[1]), 0);
    expect_exit0(middle);
    struct pollfd pfd = {.fd = report[0], .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 2000), 1);
    char result = 0;
    CHECK_EQ(read(report[0], &result, 1), 1);
    CHECK_EQ(result, 'E');
}

/* ---- window size ---- */

static volatile sig_atomic_t winches;
static void on_winch(int sig) {
    (void)sig;
    winches++;
}

static int sync_pipe[2];

static void fg_winch(struct pty *p) {
    (void)p;
    mask(SIG_BLOCK, SIGWINCH);
    winches = 0;
    CHECK_EQ(write(sync_pipe[1], "r", 1), 1);
    sigset_t none;
    sigemptyset(&none);
    while (!winches)
        sigsuspend(&none);
}

static void winsize(struct pty *p) {
    take_ctty(p);
    struct sigaction sa = {0};
    sa.sa_handler = on_winch;
    CHECK_EQ(sigaction(SIGWINCH, &sa, NULL), 0);

    /* A new pty is 0x0. */
    struct winsize ws;
    memset(&ws, 0xff, sizeof ws);
    CHECK_EQ(ioctl(p->slave, TIOCGWINSZ, &ws), 0);
    CHECK_EQ(ws.ws_row, 0);
    CHECK_EQ(ws.ws_col, 0);

    /* A change signals the foreground group (here the caller, handled
     * before ioctl returns); the same size again does not. */
    struct winsize set = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 640, .ws_ypixel = 384};
    CHECK_EQ(ioctl(p->slave, TIOCSWINSZ, &set), 0);
    CHECK_EQ(winches, 1);
    CHECK_EQ(ioctl(p->slave, TIOCGWINSZ, &ws), 0);
    CHECK(memcmp(&ws, &set, sizeof ws) == 0);
    CHECK_EQ(ioctl(p->slave, TIOCSWINSZ, &set), 0);
    CHECK_EQ(winches, 1);
    /* Both ends share it: the terminal emulator sets it at the master. */
    memset(&ws, 0, sizeof ws);
    CHECK_EQ(ioctl(p->master, TIOCGWINSZ, &ws), 0);
    CHECK(memcmp(&ws, &set, sizeof ws) == 0);
    set.ws_row = 50;
    set.ws_col = 132;
    CHECK_EQ(ioctl(p->master, TIOCSWINSZ, &set), 0);
    CHECK_EQ(winches, 2);
    CHECK_EQ(ioctl(p->slave, TIOCGWINSZ, &ws), 0);
    CHECK(memcmp(&ws, &set, sizeof ws) == 0);

    /* Only the foreground group is signalled, not the background. */
    mask(SIG_BLOCK, SIGTTOU);
    CHECK_EQ(pipe(sync_pipe), 0);
    pid_t g = spawn_group(fg_winch, p);
    char c;
    CHECK_EQ(read(sync_pipe[0], &c, 1), 1);
    CHECK_EQ(tcsetpgrp(p->slave, g), 0);
    set.ws_col = 133;
    CHECK_EQ(ioctl(p->slave, TIOCSWINSZ, &set), 0);
    expect_exit0(g);
    CHECK_EQ(winches, 2);
    CHECK_EQ(tcsetpgrp(p->slave, getpgrp()), 0);
}

/* ---- hangup ---- */

static volatile sig_atomic_t hups, conts;
static void on_hup(int sig) {
    (void)sig;
    hups++;
}
static void on_cont(int sig) {
    (void)sig;
    conts++;
}

static void catch_hup_cont(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_hup;
    CHECK_EQ(sigaction(SIGHUP, &sa, NULL), 0);
    sa.sa_handler = on_cont;
    CHECK_EQ(sigaction(SIGCONT, &sa, NULL), 0);
}

/* Waits (with SIGHUP and SIGCONT blocked) until both have arrived. */
static void await_hup_cont(void) {
    sigset_t none;
    sigemptyset(&none);
    while (!hups || !conts)
        sigsuspend(&none);
}

static void block_hup_cont(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCONT);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
}

static int hangup_ready, hangup_report, hangup_report_read;

/* The foreground job: tells the test when SIGHUP comes, which is when the
 * controlling process exits. */
static void hangup_job(struct pty *p) {
    (void)p;
    block_hup_cont();
    catch_hup_cont();
    CHECK_EQ(write(sync_pipe[1], "r", 1), 1);
    sigset_t none;
    sigemptyset(&none);
    while (!hups)
        sigsuspend(&none);
    CHECK_EQ(write(hangup_report, "h", 1), 1);
}

static void controlling_process(struct pty *p) {
    CHECK_EQ(close(p->master), 0);
    take_ctty(p);
    block_hup_cont();
    catch_hup_cont();
    CHECK_EQ(pipe(sync_pipe), 0);
    pid_t job = spawn_group(hangup_job, p);
    char c;
    CHECK_EQ(read(sync_pipe[0], &c, 1), 1);
    CHECK_EQ(tcsetpgrp(p->slave, job), 0);
    CHECK_EQ(write(hangup_ready, "r", 1), 1);

    /* The master closes: the controlling process gets SIGHUP and SIGCONT,
     * loses its controlling terminal, and the slave reads EOF and fails
     * writes with EIO. */
    await_hup_cont();
    CHECK_EQ(read(p->slave, &c, 1), 0);
    CHECK_EQ(write(p->slave, "x", 1), -1);
    CHECK_EQ(errno, EIO);
    CHECK_EQ(open("/dev/tty", O_RDWR), -1);
    CHECK_EQ(errno, ENXIO);
    /* The foreground job was not signalled by the hangup itself; it is
     * when the controlling process exits (see hangup_job). */
    struct pollfd pfd = {.fd = hangup_report_read, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 50), 0);
}

static void hangup(void) {
    struct pty p = open_pty();
    int ready[2], report[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(report), 0);
    hangup_ready = ready[1];
    hangup_report = report[1];
    hangup_report_read = report[0];
    pid_t leader = fork();
    CHECK(leader >= 0);
    if (leader == 0) {
        watchdog(4);
        CHECK_EQ(setsid(), getpid());
        controlling_process(&p);
        exit(0);
    }
    CHECK_EQ(close(ready[1]), 0);
    CHECK_EQ(close(report[1]), 0);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(close(p.master), 0);
    expect_exit0(leader);
    struct pollfd pfd = {.fd = report[0], .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 2000), 1);
    CHECK_EQ(read(report[0], &c, 1), 1);
    CHECK_EQ(c, 'h');
    /* This process's own fd of the slave is hung up as well. */
    CHECK_EQ(read(p.slave, &c, 1), 0);
    CHECK_EQ(write(p.slave, "x", 1), -1);
    CHECK_EQ(errno, EIO);
    CHECK_EQ(close(p.slave), 0);
    close(ready[0]);
    close(report[0]);
}

/* The controlling process exits without a hangup: its foreground job gets
 * SIGHUP, the terminal stays usable and is free for another session. */
static void leader_exit(void) {
    struct pty p = open_pty();
    int report[2];
    CHECK_EQ(pipe(report), 0);
    hangup_report = report[1];
    pid_t leader = fork();
    CHECK(leader >= 0);
    if (leader == 0) {
        watchdog(4);
        CHECK_EQ(setsid(), getpid());
        take_ctty(&p);
        CHECK_EQ(pipe(sync_pipe), 0);
        pid_t job = spawn_group(hangup_job, &p);
        char c;
        CHECK_EQ(read(sync_pipe[0], &c, 1), 1);
        CHECK_EQ(tcsetpgrp(p.slave, job), 0);
        exit(0);
    }
    CHECK_EQ(close(report[1]), 0);
    expect_exit0(leader);
    struct pollfd pfd = {.fd = report[0], .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 2000), 1);
    char c;
    CHECK_EQ(read(report[0], &c, 1), 1);
    CHECK_EQ(c, 'h');
    CHECK_EQ(write(p.slave, "ok\n", 3), 3);
    expect_shown(p.master, "ok\r\n");
    in_session(take_ctty, &p);
    close(report[0]);
    close_pty(&p);
}

/* TIOCNOTTY by the session leader: SIGHUP and SIGCONT to the foreground
 * group, and the session no longer has a controlling terminal. */
static void notty_job(struct pty *p) {
    (void)p;
    block_hup_cont();
    catch_hup_cont();
    CHECK_EQ(write(sync_pipe[1], "r", 1), 1);
    await_hup_cont();
}

static void notty(struct pty *p) {
    take_ctty(p);
    CHECK_EQ(pipe(sync_pipe), 0);
    pid_t job = spawn_group(notty_job, p);
    char c;
    CHECK_EQ(read(sync_pipe[0], &c, 1), 1);
    CHECK_EQ(tcsetpgrp(p->slave, job), 0);
    CHECK_EQ(ioctl(p->slave, TIOCNOTTY), 0);
    expect_exit0(job);
    CHECK_EQ(tcgetpgrp(p->slave), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(tcgetsid(p->slave), -1);
    CHECK_EQ(errno, ENOTTY);
    CHECK_EQ(open("/dev/tty", O_RDWR), -1);
    CHECK_EQ(errno, ENXIO);
    /* Not a controlling terminal any more: TIOCNOTTY again fails. */
    CHECK_EQ(ioctl(p->slave, TIOCNOTTY), -1);
    CHECK_EQ(errno, ENOTTY);
    /* The terminal is free, so the leader can take it again. */
    take_ctty(p);
    CHECK_EQ(tcgetsid(p->slave), getpid());
}

static void run(void (*fn)(struct pty *)) {
    struct pty p = open_pty();
    in_session(fn, &p);
    close_pty(&p);
}

int main(void) {
    watchdog(10);
    second = open_pty();
    run(sctty);
    run(open_acquires);
    run(pgrp);
    run(background_read);
    run(background_write);
    run(orphaned);
    run(winsize);
    hangup();
    leader_exit();
    run(notty);
    close_pty(&second);
    return 0;
}

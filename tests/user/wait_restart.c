/* Waits with a timeout that a stop interrupts go on, once continued, to
 * the deadline they had (poll and a timed futex wait, through
 * restart_syscall as on Linux), not for their whole timeout again;
 * select and ppoll write the time they did not wait back to their
 * timeout (libc's wrappers may hide it, passing copies); a timed futex wait ends with EINTR after a handler even with
 * SA_RESTART, an untimed one restarts. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "timed_waits.h"

/* musl has no <linux/futex.h>. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static long futex_wait(uint32_t *word, uint32_t value, const struct timespec *timeout) {
    return syscall(SYS_futex, word, FUTEX_WAIT, value, timeout, NULL, 0);
}

/* Runs `wait` in a child that exits 0 when it timed out as it should;
 * stops it 0.2 s into its 1 s timeout and continues it 0.5 s later. It
 * must end about 0.3 s after SIGCONT, not 1 s. */
static void stopped_and_continued(const char *name, int (*wait)(void)) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        _exit(wait());
    }
    int status;
    double after = stop_then_continue(child, 0.2, 0.5, &status);
    if (status != 0) {
        fprintf(stderr, "%s: the child's wait failed (%d)\n", name, status);
        exit(1);
    }
    if (after > 0.75) {
        fprintf(stderr, "%s ran %.2f s after SIGCONT (its deadline was 0.3 s away)\n", name,
                after);
        exit(1);
    }
}

static int empty_pipe[2];

static int poll_empty_pipe(void) {
    struct pollfd entry = {empty_pipe[0], POLLIN, 0};
    return poll(&entry, 1, 1000) == 0 ? 0 : 10;
}

static int timed_futex_wait(void) {
    static uint32_t word;
    struct timespec timeout = {1, 0};
    return futex_wait(&word, 0, &timeout) == -1 && errno == ETIMEDOUT ? 0 : 10;
}

static volatile sig_atomic_t handled;
static void on_usr1(int signal) {
    (void)signal;
    handled++;
}

int main(void) {
    CHECK_EQ(pipe(empty_pipe), 0);
    stopped_and_continued("poll", poll_empty_pipe);
    stopped_and_continued("a timed futex wait", timed_futex_wait);

    /* select and ppoll, woken 0.3 s into a 1 s timeout, say about 0.7 s
     * were left. */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    for (int round = 0; round < 2; round++) {
        pid_t writer = fork();
        CHECK(writer >= 0);
        if (writer == 0) {
            sleep_seconds(0.3);
            _exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
        }
        double left;
        if (round == 0) {
            fd_set set;
            FD_ZERO(&set);
            FD_SET(fds[0], &set);
            struct timeval timeout = {1, 0};
            /* musl's select passes a copy of the timeout too. */
            CHECK_EQ(syscall(SYS_select, fds[0] + 1, &set, NULL, NULL, &timeout), 1);
            left = (double)timeout.tv_sec + (double)timeout.tv_usec / 1e6;
        } else {
            struct pollfd entry = {fds[0], POLLIN, 0};
            struct timespec timeout = {1, 0};
            /* libc's ppoll passes a copy of the timeout: ask directly. */
            CHECK_EQ(syscall(SYS_ppoll, &entry, 1, &timeout, NULL, 8), 1);
            left = (double)timeout.tv_sec + (double)timeout.tv_nsec / 1e9;
        }
        if (!(left > 0.3 && left < 0.9)) {
            fprintf(stderr, "%s left %.3f s of a 1 s timeout woken at 0.3 s\n",
                    round == 0 ? "select" : "ppoll", left);
            return 1;
        }
        char byte;
        CHECK_EQ(read(fds[0], &byte, 1), 1);
        reap_ok(writer);
    }

    /* A futex word both processes see. */
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(word != MAP_FAILED);
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    pid_t parent = getpid();

    /* A handler ends a timed wait with EINTR, SA_RESTART or not. */
    pid_t sender = signal_later(parent, SIGUSR1, 0.2);
    struct timespec timeout = {3, 0};
    errno = 0;
    double began = monotonic_seconds();
    CHECK_EQ(futex_wait(word, 0, &timeout), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(monotonic_seconds() - began < 2.0);
    CHECK_EQ(handled, 1);
    reap_ok(sender);

    /* An untimed wait restarts after an SA_RESTART handler, and returns
     * when woken. */
    sender = fork();
    CHECK(sender >= 0);
    if (sender == 0) {
        sleep_seconds(0.2);
        CHECK_EQ(kill(parent, SIGUSR1), 0);
        sleep_seconds(0.3);
        *word = 1;
        while (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) == 0) {
            sleep_seconds(0.01);
        }
        _exit(0);
    }
    CHECK_EQ(futex_wait(word, 0, NULL), 0);
    CHECK_EQ(handled, 2);
    CHECK_EQ(*word, 1);
    reap_ok(sender);
    return 0;
}

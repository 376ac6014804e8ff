/* POSIX per-process timers through the raw system calls (the kernel's
 * struct sigevent and int timer ids, no libc emulation): SIGEV_SIGNAL on
 * the monotonic and wall clocks (si_code SI_TIMER, si_value, si_timerid),
 * the default sigevent, SIGEV_NONE counting down, SIGEV_THREAD_ID aimed at
 * one thread, TIMER_ABSTIME, overruns of a blocked periodic timer, a
 * process CPU-time timer, many timers, timers not inherited by fork, and
 * EINVAL/EOPNOTSUPP/EFAULT for bad clocks, sigevents, ids and times. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define NOTIFY_SIGNAL 0
#define NOTIFY_NONE 1
#define NOTIFY_THREAD 2
#define NOTIFY_THREAD_ID 4

/* The kernel's sigevent: 64 bytes, the thread id right after notify. */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    union {
        int tid;
        int pad[12];
    } un;
};

static int timer_new(clockid_t clock, struct ksigevent *event, int *id) {
    return (int)syscall(SYS_timer_create, clock, event, id);
}

static int timer_set(int id, int flags, const struct itimerspec *value, struct itimerspec *old) {
    return (int)syscall(SYS_timer_settime, id, flags, value, old);
}

static int timer_get(int id, struct itimerspec *value) {
    return (int)syscall(SYS_timer_gettime, id, value);
}

static int timer_overrun(int id) { return (int)syscall(SYS_timer_getoverrun, id); }

static int timer_remove(int id) { return (int)syscall(SYS_timer_delete, id); }

static struct ksigevent signal_event(int signo, void *value) {
    struct ksigevent event;
    memset(&event, 0, sizeof event);
    event.notify = NOTIFY_SIGNAL;
    event.signo = signo;
    event.value.sival_ptr = value;
    return event;
}

static struct itimerspec ms(long value, long interval) {
    struct itimerspec spec = {
        .it_value = {value / 1000, (value % 1000) * 1000000},
        .it_interval = {interval / 1000, (interval % 1000) * 1000000},
    };
    return spec;
}

static double seconds(clockid_t clock) {
    struct timespec ts;
    CHECK_EQ(clock_gettime(clock, &ts), 0);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double spec_seconds(const struct timespec *ts) { return ts->tv_sec + ts->tv_nsec / 1e9; }

static void sleep_ms(long ms) {
    struct timespec ts = {0, ms * 1000000};
    while (nanosleep(&ts, &ts) != 0) CHECK_EQ(errno, EINTR);
}

/* Waits (at most 2 s) for the blocked signal `signo`. */
static void wait_signal(int signo, siginfo_t *info) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    struct timespec timeout = {2, 0};
    memset(info, 0, sizeof *info);
    CHECK_EQ(sigtimedwait(&set, info, &timeout), signo);
}

static int is_pending(int signo) {
    sigset_t set;
    CHECK_EQ(sigpending(&set), 0);
    return sigismember(&set, signo);
}

static void test_signal(clockid_t clock) {
    struct ksigevent event = signal_event(SIGUSR1, (void *)(uintptr_t)(0x1234 + clock));
    int id = -1;
    CHECK_EQ(timer_new(clock, &event, &id), 0);
    CHECK(id >= 0);
    /* Created disarmed. */
    struct itimerspec cur;
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);

    struct itimerspec spec = ms(2, 0), old;
    double start = seconds(CLOCK_MONOTONIC);
    CHECK_EQ(timer_set(id, 0, &spec, &old), 0);
    CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0);
    siginfo_t info;
    wait_signal(SIGUSR1, &info);
    CHECK(seconds(CLOCK_MONOTONIC) - start >= 0.002);
    CHECK_EQ(info.si_signo, SIGUSR1);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK(info.si_value.sival_ptr == (void *)(uintptr_t)(0x1234 + clock));
    CHECK_EQ(info.si_timerid, id);
    CHECK_EQ(info.si_overrun, 0);
    CHECK_EQ(timer_overrun(id), 0);
    /* A one-shot timer is disarmed after it fires. */
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);

    /* Arming with zero disarms, returning the previous setting. */
    spec = ms(1000, 500);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    spec = ms(0, 0);
    CHECK_EQ(timer_set(id, 0, &spec, &old), 0);
    CHECK(spec_seconds(&old.it_value) > 0.5 && spec_seconds(&old.it_value) <= 1.0);
    CHECK_EQ(old.it_interval.tv_nsec, 500000000);
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    CHECK_EQ(cur.it_interval.tv_sec + cur.it_interval.tv_nsec, 0);
    CHECK_EQ(timer_remove(id), 0);
}

/* Without a sigevent: SIGALRM carrying the timer id as its value. */
static void test_default_event(void) {
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, NULL, &id), 0);
    struct itimerspec spec = ms(1, 0);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    siginfo_t info;
    wait_signal(SIGALRM, &info);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK_EQ(info.si_value.sival_int, id);
    CHECK_EQ(info.si_timerid, id);
    CHECK_EQ(timer_remove(id), 0);
}

static void test_none(void) {
    struct ksigevent event;
    memset(&event, 0, sizeof event);
    event.notify = NOTIFY_NONE;
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);

    /* The remaining time counts down; settime returns the old setting. */
    struct itimerspec spec = ms(1000, 0), cur, old;
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    CHECK_EQ(timer_get(id, &cur), 0);
    double first = spec_seconds(&cur.it_value);
    CHECK(first > 0.5 && first <= 1.0);
    CHECK_EQ(cur.it_interval.tv_sec + cur.it_interval.tv_nsec, 0);
    sleep_ms(2);
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK(spec_seconds(&cur.it_value) <= first - 0.002);

    /* A periodic timer keeps reporting the time to its next period. */
    spec = ms(1, 10);
    CHECK_EQ(timer_set(id, 0, &spec, &old), 0);
    CHECK(spec_seconds(&old.it_value) > 0.5 && spec_seconds(&old.it_value) < 1.0);
    sleep_ms(3);
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000);
    CHECK_EQ(cur.it_interval.tv_nsec, 10000000);

    /* Zero disarms; nothing was ever signalled. (Linux 6.18 still reports
     * the old remaining time for a disarmed SIGEV_NONE timer, so its
     * timer_gettime is not checked here.) */
    spec = ms(0, 0);
    CHECK_EQ(timer_set(id, 0, &spec, &old), 0);
    CHECK_EQ(old.it_interval.tv_nsec, 10000000);
    CHECK(!is_pending(SIGUSR1) && !is_pending(SIGALRM));
    CHECK_EQ(timer_remove(id), 0);
}

static int tid_pipe[2];
static siginfo_t thread_info;

static void *target_thread(void *arg) {
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    CHECK_EQ(write(tid_pipe[1], &tid, sizeof tid), sizeof tid);
    wait_signal(SIGUSR2, &thread_info);
    return NULL;
}

static void test_thread_id(void) {
    /* SIGUSR2 is blocked in both threads; the timer names the second one. */
    CHECK_EQ(pipe(tid_pipe), 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, target_thread, NULL), 0);
    pid_t tid = 0;
    CHECK_EQ(read(tid_pipe[0], &tid, sizeof tid), sizeof tid);
    CHECK(tid != getpid());

    struct ksigevent event = signal_event(SIGUSR2, (void *)0x77);
    event.notify = NOTIFY_SIGNAL | NOTIFY_THREAD_ID;
    event.un.tid = tid;
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec spec = ms(2, 0);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(thread_info.si_signo, SIGUSR2);
    CHECK_EQ(thread_info.si_code, SI_TIMER);
    CHECK(thread_info.si_value.sival_ptr == (void *)0x77);
    CHECK(!is_pending(SIGUSR2));
    CHECK_EQ(timer_remove(id), 0);
    close(tid_pipe[0]);
    close(tid_pipe[1]);

    /* The main thread's own tid works too. */
    event.un.tid = (int)syscall(SYS_gettid);
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    spec = ms(1, 0);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    siginfo_t info;
    wait_signal(SIGUSR2, &info);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK_EQ(timer_remove(id), 0);

    /* A thread of another process, or no thread at all: EINVAL. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    event.un.tid = child;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    kill(child, SIGKILL);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
}

static void test_absolute(void) {
    struct ksigevent event = signal_event(SIGUSR1, NULL);
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    struct timespec now;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &now), 0);
    double target = spec_seconds(&now) + 0.010;
    struct itimerspec spec = {.it_value = now};
    spec.it_value.tv_nsec += 10 * 1000000;
    if (spec.it_value.tv_nsec >= 1000000000) {
        spec.it_value.tv_sec++;
        spec.it_value.tv_nsec -= 1000000000;
    }
    CHECK_EQ(timer_set(id, TIMER_ABSTIME, &spec, NULL), 0);
    /* timer_gettime reports the time left, not the absolute time. */
    struct itimerspec cur;
    CHECK_EQ(timer_get(id, &cur), 0);
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000);
    siginfo_t info;
    wait_signal(SIGUSR1, &info);
    CHECK(seconds(CLOCK_MONOTONIC) >= target);

    /* An absolute time in the past fires at once (1 ns after boot: the
     * machine may have been up for less than a second). */
    spec.it_value.tv_sec = 0;
    spec.it_value.tv_nsec = 1;
    CHECK_EQ(timer_set(id, TIMER_ABSTIME, &spec, NULL), 0);
    double start = seconds(CLOCK_MONOTONIC);
    wait_signal(SIGUSR1, &info);
    CHECK(seconds(CLOCK_MONOTONIC) - start < 2.0);
    CHECK_EQ(timer_remove(id), 0);
}

static void test_overrun(void) {
    struct ksigevent event = signal_event(SIGUSR1, NULL);
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec spec = ms(1, 1);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    sleep_ms(20);
    siginfo_t info;
    wait_signal(SIGUSR1, &info);
    CHECK(info.si_overrun > 5);
    CHECK_EQ(timer_overrun(id), info.si_overrun);
    spec = ms(0, 0);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    CHECK_EQ(timer_remove(id), 0);
    /* Deleting the timer discards its pending signal. */
    CHECK(!is_pending(SIGUSR1));
}

static void test_cputime(void) {
    struct ksigevent event = signal_event(SIGUSR1, (void *)0x55);
    int id = -1;
    CHECK_EQ(timer_new(CLOCK_PROCESS_CPUTIME_ID, &event, &id), 0);
    double start = seconds(CLOCK_PROCESS_CPUTIME_ID);
    struct itimerspec spec = ms(10, 0);
    CHECK_EQ(timer_set(id, 0, &spec, NULL), 0);
    double deadline = seconds(CLOCK_MONOTONIC) + 2;
    while (!is_pending(SIGUSR1) && seconds(CLOCK_MONOTONIC) < deadline) {
    }
    CHECK(is_pending(SIGUSR1));
    CHECK(seconds(CLOCK_PROCESS_CPUTIME_ID) - start >= 0.010);
    siginfo_t info;
    wait_signal(SIGUSR1, &info);
    CHECK_EQ(info.si_code, SI_TIMER);
    CHECK(info.si_value.sival_ptr == (void *)0x55);
    CHECK_EQ(timer_remove(id), 0);
}

static void test_many(void) {
    struct ksigevent event;
    memset(&event, 0, sizeof event);
    event.notify = NOTIFY_NONE;
    int ids[100];
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &ids[i]), 0);
        for (int j = 0; j < i; j++) CHECK(ids[i] != ids[j]);
    }
    struct itimerspec spec = ms(5000, 0);
    CHECK_EQ(timer_set(ids[0], 0, &spec, NULL), 0);

    /* Timers are not inherited: the child has none of ours, its own ids
     * start afresh at 0. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct itimerspec cur;
        errno = 0;
        CHECK_EQ(timer_get(ids[0], &cur), -1);
        CHECK_EQ(errno, EINVAL);
        int id = -1;
        CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
        CHECK_EQ(id, 0);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    for (int i = 0; i < 100; i++) CHECK_EQ(timer_remove(ids[i]), 0);
    errno = 0;
    CHECK_EQ(timer_remove(ids[50]), -1);
    CHECK_EQ(errno, EINVAL);
}

static void test_errors(void) {
    struct ksigevent event = signal_event(SIGUSR1, NULL);
    int id = -1;

    /* Clocks: unknown ones EINVAL; ones without timer support EOPNOTSUPP. */
    errno = 0;
    CHECK_EQ(timer_new(1234, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC_RAW, &event, &id), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC_COARSE, &event, &id), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    CHECK_EQ(timer_new(CLOCK_BOOTTIME, &event, &id), 0);
    CHECK_EQ(timer_remove(id), 0);

    /* Sigevents: unknown notify, signal numbers out of range. */
    event.notify = 99;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    event.notify = NOTIFY_THREAD_ID;
    event.un.tid = 0;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    event.notify = NOTIFY_SIGNAL;
    event.signo = 0;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    event.signo = 65;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    /* SIGEV_NONE ignores the signal number. */
    event.notify = NOTIFY_NONE;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    CHECK_EQ(timer_remove(id), 0);
    /* The kernel takes a raw SIGEV_THREAD as SIGEV_SIGNAL (the libcs build
     * SIGEV_THREAD on SIGEV_THREAD_ID), signal number checks included; only
     * SIGEV_SIGNAL combines with SIGEV_THREAD_ID. */
    event.notify = NOTIFY_THREAD;
    event.signo = 0;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    event.signo = SIGUSR1;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    CHECK_EQ(timer_remove(id), 0);
    event.un.tid = (int)syscall(SYS_gettid);
    event.notify = NOTIFY_NONE | NOTIFY_THREAD_ID;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);
    event.notify = NOTIFY_THREAD | NOTIFY_THREAD_ID;
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), -1);
    CHECK_EQ(errno, EINVAL);

    /* Bad pointers. */
    event = signal_event(SIGUSR1, NULL);
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, (struct ksigevent *)1, &id), -1);
    CHECK_EQ(errno, EFAULT);
    errno = 0;
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, (int *)1), -1);
    CHECK_EQ(errno, EFAULT);

    /* Bad times. */
    CHECK_EQ(timer_new(CLOCK_MONOTONIC, &event, &id), 0);
    struct itimerspec spec = ms(10, 0);
    spec.it_value.tv_nsec = 1000000000;
    errno = 0;
    CHECK_EQ(timer_set(id, 0, &spec, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    spec = ms(10, 0);
    spec.it_interval.tv_nsec = -1;
    errno = 0;
    CHECK_EQ(timer_set(id, 0, &spec, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    spec = ms(10, 0);
    spec.it_value.tv_sec = -1;
    errno = 0;
    CHECK_EQ(timer_set(id, 0, &spec, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_set(id, 0, NULL, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_get(id, NULL), -1);
    CHECK_EQ(errno, EFAULT);

    /* A deleted (or never created) timer: EINVAL everywhere. */
    CHECK_EQ(timer_remove(id), 0);
    struct itimerspec cur;
    spec = ms(10, 0);
    errno = 0;
    CHECK_EQ(timer_set(id, 0, &spec, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_get(id, &cur), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_overrun(id), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_remove(id), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_get(-1, &cur), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(timer_remove(123456), -1);
    CHECK_EQ(errno, EINVAL);
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGALRM);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);

    test_signal(CLOCK_MONOTONIC);
    test_signal(CLOCK_REALTIME);
    test_default_event();
    test_none();
    test_thread_id();
    test_absolute();
    test_overrun();
    test_cputime();
    test_many();
    test_errors();
    return 0;
}

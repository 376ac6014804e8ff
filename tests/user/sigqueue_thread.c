/* rt_tgsigqueueinfo (glibc's pthread_sigqueue): a signal with the
 * caller's value queued on one thread. The target thread takes it with its
 * value; the others never see it; a code only the kernel may claim is
 * refused towards another thread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

static volatile int handled_value = -1;
static volatile int handled_code = 1;

static void on_usr1(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    handled_value = info->si_value.sival_int;
    handled_code = info->si_code;
}

static long queue_on(pid_t tgid, pid_t tid, int signal, int code, int value) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = signal;
    info.si_code = code;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_int = value;
    return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, signal, &info);
}

static volatile pid_t waiter_tid;

/* Waits for SIGUSR2 (blocked in every thread) and returns its value. */
static void *waiter(void *argument) {
    (void)argument;
    waiter_tid = (pid_t)syscall(SYS_gettid);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    siginfo_t info;
    if (sigwaitinfo(&set, &info) != SIGUSR2 || info.si_code != SI_QUEUE) {
        return (void *)-1L;
    }
    return (void *)(long)info.si_value.sival_int;
}

int main(void) {
    pid_t me = (pid_t)syscall(SYS_gettid);
    struct sigaction action = {0};
    action.sa_sigaction = on_usr1;
    action.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);

    /* To the caller itself: the handler sees the code and the value. */
    CHECK_EQ(queue_on(getpid(), me, SIGUSR1, SI_QUEUE, 42), 0);
    CHECK_EQ(handled_value, 42);
    CHECK_EQ(handled_code, SI_QUEUE);

    /* To another thread: only it takes the signal, with its value. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr2, NULL), 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, waiter, NULL), 0);
    while (waiter_tid == 0) {
        sched_yield();
    }
    errno = 0;
    CHECK_EQ(queue_on(getpid(), waiter_tid, SIGUSR2, SI_USER, 1), -1);
    CHECK_EQ(errno, EPERM);
    errno = 0;
    CHECK_EQ(queue_on(getpid() + 100000, waiter_tid, SIGUSR2, SI_QUEUE, 1), -1);
    CHECK_EQ(errno, ESRCH);
    CHECK_EQ(queue_on(getpid(), waiter_tid, SIGUSR2, SI_QUEUE, 7), 0);
    void *result;
    CHECK_EQ(pthread_join(thread, &result), 0);
    CHECK_EQ((long)result, 7);
    sigset_t pending;
    CHECK_EQ(sigpending(&pending), 0);
    CHECK(!sigismember(&pending, SIGUSR2));
    return 0;
}

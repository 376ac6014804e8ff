/* Robust mutexes: when the holder of a PTHREAD_MUTEX_ROBUST mutex dies,
 * the kernel walks its robust list (set_robust_list) and the next locker
 * gets EOWNERDEAD, whether it was already asleep on the lock or comes
 * later, for a thread of the same process and for a process-shared mutex
 * in shared memory whose holder process exits or is killed. Without
 * the kernel's part a waiter sleeps for ever and a later locker waits
 * for a dead owner (the runner's deadline fails the test). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void init_robust(pthread_mutex_t *mutex, int shared) {
    pthread_mutexattr_t attr;
    CHECK_EQ(pthread_mutexattr_init(&attr), 0);
    CHECK_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
    if (shared) CHECK_EQ(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_mutex_init(mutex, &attr), 0);
    CHECK_EQ(pthread_mutexattr_destroy(&attr), 0);
}

/* After EOWNERDEAD: made consistent, the mutex works as before. */
static void recover(pthread_mutex_t *mutex) {
    CHECK_EQ(pthread_mutex_consistent(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    CHECK_EQ(pthread_mutex_lock(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
}

static pthread_mutex_t local;
static atomic_int held;

static void *hold_and_exit(void *delay) {
    CHECK_EQ(pthread_mutex_lock(&local), 0);
    atomic_store(&held, 1);
    sleep_ms((long)delay);
    return NULL; /* exits holding it */
}

static void a_thread_dies_holding_it(long delay) {
    init_robust(&local, 0);
    atomic_store(&held, 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, hold_and_exit, (void *)delay), 0);
    while (!atomic_load(&held)) sleep_ms(1);
    /* With a delay, this lock sleeps in the kernel until the holder dies. */
    CHECK_EQ(pthread_mutex_lock(&local), EOWNERDEAD);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    recover(&local);
    CHECK_EQ(pthread_mutex_destroy(&local), 0);
}

/* Left inconsistent, the mutex is unusable from then on. */
static void unrecovered_it_stays_broken(void) {
    init_robust(&local, 0);
    atomic_store(&held, 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, hold_and_exit, (void *)0), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(&local), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_unlock(&local), 0);
    CHECK_EQ(pthread_mutex_lock(&local), ENOTRECOVERABLE);
}

/* A process-shared mutex whose holder process ends: by exiting (after
 * `delay` ms, while the parent sleeps on the lock) or by SIGKILL. */
static void a_process_dies_holding_it(long delay, int killed) {
    pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    atomic_int *ready = (atomic_int *)(shared + 1);
    init_robust(shared, 1);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (pthread_mutex_lock(shared) != 0) _exit(2);
        atomic_store(ready, 1);
        if (killed) {
            for (;;) pause();
        }
        sleep_ms(delay);
        _exit(0);
    }
    while (!atomic_load(ready)) sleep_ms(1);
    if (killed) CHECK_EQ(kill(child, SIGKILL), 0);
    CHECK_EQ(pthread_mutex_lock(shared), EOWNERDEAD);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    if (killed) {
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    } else {
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    recover(shared);
    CHECK_EQ(munmap(shared, 4096), 0);
}

int main(void) {
    a_thread_dies_holding_it(0);
    a_thread_dies_holding_it(100);
    unrecovered_it_stays_broken();
    a_process_dies_holding_it(0, 0);
    a_process_dies_holding_it(100, 0);
    a_process_dies_holding_it(0, 1);
    puts("robust_mutex: ok");
    return 0;
}

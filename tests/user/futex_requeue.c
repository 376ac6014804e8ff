/* futex's requeue and bitset operations, and the condition variables
 * built on them: FUTEX_REQUEUE and FUTEX_CMP_REQUEUE wake some waiters and
 * move the next to another word without waking them; a bitset wake reaches
 * only waiters sharing a bit; musl's pthread_cond_broadcast hands each
 * woken waiter on to the mutex with FUTEX_REQUEUE (without it the next
 * waiter is never woken). */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

/* linux/futex.h's numbers (musl's toolchain has no kernel headers). */
enum {
    FUTEX_WAKE_PRIVATE = 1 | 128,
    FUTEX_REQUEUE_PRIVATE = 3 | 128,
    FUTEX_CMP_REQUEUE_PRIVATE = 4 | 128,
    FUTEX_WAIT_BITSET_PRIVATE = 9 | 128,
    FUTEX_WAKE_BITSET_PRIVATE = 10 | 128,
};

static long futex(atomic_int *word, int op, int value, uintptr_t value2, atomic_int *word2,
                  int value3) {
    return syscall(SYS_futex, word, op, value, value2, word2, value3);
}

struct waiter {
    atomic_int *word;
    int bitset;
    atomic_int tid;
    atomic_int done;
    long result;
};

static void *wait_on_word(void *arg) {
    struct waiter *w = arg;
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    w->result = futex(w->word, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, w->bitset);
    atomic_store(&w->done, 1);
    return NULL;
}

/* Until thread `tid` sleeps (its state in /proc is S). */
static void wait_until_asleep(atomic_int *tid) {
    for (int i = 0; i < 5000; i++) {
        int t = atomic_load(tid);
        if (t != 0) {
            char path[64], stat[256];
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", t);
            FILE *f = fopen(path, "r");
            if (f != NULL) {
                size_t n = fread(stat, 1, sizeof stat - 1, f);
                fclose(f);
                stat[n] = 0;
                char *end = strrchr(stat, ')');
                if (end != NULL && end[1] == ' ' && end[2] == 'S') return;
            }
        }
        usleep(1000);
    }
    CHECK(!"a waiter never went to sleep");
}

static int finished(struct waiter *waiters, int n) {
    int count = 0;
    for (int i = 0; i < n; i++) count += atomic_load(&waiters[i].done);
    return count;
}

/* Until `count` of the waiters have returned (a little longer for more). */
static void wait_for_finished(struct waiter *waiters, int n, int count) {
    for (int i = 0; i < 5000 && finished(waiters, n) < count; i++) usleep(1000);
    usleep(20000);
    CHECK_EQ(finished(waiters, n), count);
}

static void start(pthread_t *threads, struct waiter *waiters, int n, atomic_int *word,
                  int bitset) {
    for (int i = 0; i < n; i++) {
        waiters[i] = (struct waiter){.word = word, .bitset = bitset};
        CHECK_EQ(pthread_create(&threads[i], NULL, wait_on_word, &waiters[i]), 0);
        wait_until_asleep(&waiters[i].tid);
    }
}

static void join(pthread_t *threads, struct waiter *waiters, int n) {
    for (int i = 0; i < n; i++) {
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
        CHECK_EQ(waiters[i].result, 0);
    }
}

static void requeue_wakes_some_and_moves_the_next(int compare) {
    static atomic_int from, to;
    pthread_t threads[4];
    struct waiter waiters[4];
    start(threads, waiters, 4, &from, -1);
    if (compare) {
        /* The word is not what the caller saw: nothing happens. */
        errno = 0;
        CHECK_EQ(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &to, 7), -1);
        CHECK_EQ(errno, EAGAIN);
        CHECK_EQ(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &to, 0), 3);
    } else {
        CHECK_EQ(futex(&from, FUTEX_REQUEUE_PRIVATE, 1, 2, &to, 0), 3);
    }
    wait_for_finished(waiters, 4, 1);
    /* One is left on the first word, two sleep on the second. */
    CHECK_EQ(futex(&from, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
    wait_for_finished(waiters, 4, 2);
    CHECK_EQ(futex(&from, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0), 0);
    CHECK_EQ(futex(&to, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 1);
    wait_for_finished(waiters, 4, 3);
    CHECK_EQ(futex(&to, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0), 1);
    join(threads, waiters, 4);
}

static void a_bitset_wake_reaches_only_matching_waiters(void) {
    static atomic_int word;
    pthread_t threads[2];
    struct waiter waiters[2];
    start(threads, waiters, 1, &word, 1);
    start(threads + 1, waiters + 1, 1, &word, 2);
    CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 4), 0);
    CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 2), 1);
    CHECK_EQ(pthread_join(threads[1], NULL), 0);
    CHECK_EQ(waiters[0].done, 0);
    CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0), 1);
    CHECK_EQ(pthread_join(threads[0], NULL), 0);
    CHECK_EQ(waiters[0].result, 0);
    CHECK_EQ(waiters[1].result, 0);
}

/* Broadcasts to several waiters, round after round: each round every
 * waiter must wake, take the mutex and count itself. */
enum { COND_WAITERS = 4, ROUNDS = 200 };
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_up = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_here = PTHREAD_COND_INITIALIZER;
static int round_number, arrived;

static void *cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mutex);
    for (int seen = 0; seen < ROUNDS; seen++) {
        arrived++;
        pthread_cond_signal(&all_here);
        while (round_number == seen) pthread_cond_wait(&wake_up, &mutex);
    }
    pthread_mutex_unlock(&mutex);
    return NULL;
}

static void broadcast_wakes_every_waiter_every_round(void) {
    pthread_t threads[COND_WAITERS];
    for (int i = 0; i < COND_WAITERS; i++)
        CHECK_EQ(pthread_create(&threads[i], NULL, cond_waiter, NULL), 0);
    pthread_mutex_lock(&mutex);
    for (int r = 0; r < ROUNDS; r++) {
        while (arrived < COND_WAITERS * (r + 1)) pthread_cond_wait(&all_here, &mutex);
        round_number++;
        pthread_cond_broadcast(&wake_up);
    }
    pthread_mutex_unlock(&mutex);
    for (int i = 0; i < COND_WAITERS; i++) CHECK_EQ(pthread_join(threads[i], NULL), 0);
    CHECK_EQ(arrived, COND_WAITERS * ROUNDS);
}

int main(void) {
    /* A lost waiter hangs: fail instead. */
    alarm(60);
    requeue_wakes_some_and_moves_the_next(0);
    requeue_wakes_some_and_moves_the_next(1);
    a_bitset_wake_reaches_only_matching_waiters();
    broadcast_wakes_every_waiter_every_round();
    return 0;
}

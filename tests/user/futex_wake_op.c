/* FUTEX_WAKE_OP: one call changes a second word atomically, wakes the
 * first word's waiters, and wakes the second word's waiters when the
 * second word's old value passes the comparison (what glibc's older
 * condition variables and some runtimes use to hand over a lock and
 * signal at once). The waiters are asleep in the kernel (their state is
 * 'S' in /proc) before the call, so the counts it returns are exact.
 * A count of 0 or less wakes one waiter, as Linux's wake loops wake
 * before they compare. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAKE_OP 5
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_GT 4

static long futex(_Atomic uint32_t *word, int op, uint32_t value, long value2,
                  _Atomic uint32_t *word2, uint32_t value3) {
    return syscall(SYS_futex, word, op, value, (void *)value2, word2, value3);
}

struct sleeper {
    _Atomic uint32_t *word;
    _Atomic int tid;
};

/* Sleeps on its word until the word is no longer 0. */
static void *sleeper(void *arg) {
    struct sleeper *self = arg;
    atomic_store(&self->tid, gettid());
    while (atomic_load(self->word) == 0) futex(self->word, FUTEX_WAIT, 0, 0, NULL, 0);
    return NULL;
}

/* Whether thread `tid` of this process is asleep ('S'). */
static int asleep(int tid) {
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = 0;
    char *end = strrchr(stat, ')');
    return end && end[1] == ' ' && end[2] == 'S';
}

static void start(pthread_t *thread, struct sleeper *s, _Atomic uint32_t *word) {
    s->word = word;
    atomic_store(&s->tid, 0);
    CHECK_EQ(pthread_create(thread, NULL, sleeper, s), 0);
    while (atomic_load(&s->tid) == 0 || !asleep(atomic_load(&s->tid))) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Both words 0, a thread asleep on each; then the first word set to 1, so
 * that its sleeper ends once woken. */
static void both_asleep(pthread_t *a, struct sleeper *sa, _Atomic uint32_t *first, pthread_t *b,
                        struct sleeper *sb, _Atomic uint32_t *second) {
    atomic_store(first, 0);
    atomic_store(second, 0);
    start(a, sa, first);
    start(b, sb, second);
    atomic_store(first, 1);
}

int main(void) {
    static _Atomic uint32_t first, second;
    pthread_t a, b;
    struct sleeper sa, sb;

    /* The comparison holds (old second == 0): both words' waiters wake.
     * The operation sets the second word to 1, which also ends b's loop. */
    both_asleep(&a, &sa, &first, &b, &sb, &second);
    CHECK_EQ(futex(&first, FUTEX_WAKE_OP, 1, 1, &second,
                   FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)), 2);
    CHECK_EQ(atomic_load(&second), 1);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(pthread_join(b, NULL), 0);

    /* It fails (old second == 0, not > 5): only the first word's waiter
     * wakes, though the second word changes (0 + 7). */
    both_asleep(&a, &sa, &first, &b, &sb, &second);
    CHECK_EQ(futex(&first, FUTEX_WAKE_OP, 1, 1, &second,
                   FUTEX_OP(FUTEX_OP_ADD, 7, FUTEX_OP_CMP_GT, 5)), 1);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(atomic_load(&second), 7);
    CHECK(asleep(atomic_load(&sb.tid)));
    CHECK_EQ(futex(&second, FUTEX_WAKE, 1, 0, NULL, 0), 1);
    CHECK_EQ(pthread_join(b, NULL), 0);

    /* Counts of 0 wake one waiter of each word. */
    both_asleep(&a, &sa, &first, &b, &sb, &second);
    CHECK_EQ(futex(&first, FUTEX_WAKE_OP, 0, 0, &second,
                   FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)), 2);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(pthread_join(b, NULL), 0);

    /* Two waiters on one word: FUTEX_WAKE with -1 wakes one of them, then
     * with 0 the other. */
    atomic_store(&first, 0);
    start(&a, &sa, &first);
    start(&b, &sb, &first);
    atomic_store(&first, 1);
    CHECK_EQ(futex(&first, FUTEX_WAKE, (uint32_t)-1, 0, NULL, 0), 1);
    CHECK_EQ(futex(&first, FUTEX_WAKE, 0, 0, NULL, 0), 1);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(pthread_join(b, NULL), 0);
    puts("futex_wake_op: ok");
    return 0;
}

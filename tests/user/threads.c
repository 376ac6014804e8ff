/* pthread_create/join of 8 threads adding to one mutex-protected counter. */
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "check.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static pid_t tids[8];

static void *worker(void *arg) {
    long index = (long)arg;
    tids[index] = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (i % 1000 == 0) sched_yield();
    }
    return (void *)(index * 10);
}

int main(void) {
    pthread_t threads[8];
    for (long i = 0; i < 8; i++)
        CHECK_EQ(pthread_create(&threads[i], NULL, worker, (void *)i), 0);
    for (long i = 0; i < 8; i++) {
        void *result;
        CHECK_EQ(pthread_join(threads[i], &result), 0);
        CHECK_EQ((long)result, i * 10);
    }
    CHECK_EQ(counter, 80000);
    /* Threads share the pid but each has its own tid. */
    for (int i = 0; i < 8; i++) {
        CHECK(tids[i] != getpid());
        for (int j = 0; j < i; j++) CHECK(tids[i] != tids[j]);
    }
    return 0;
}

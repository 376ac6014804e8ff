/* A stop signal stops the whole process, every thread of it, until
 * SIGCONT; a thread asleep in a system call when the stop comes finishes
 * the call once continued. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

struct shared {
    atomic_long spins;   /* bumped by a thread that never enters the kernel */
    atomic_long naps;    /* bumped by a thread that sleeps between bumps */
};

static struct shared *shared;

static void *spinner(void *arg) {
    (void)arg;
    for (;;) atomic_fetch_add(&shared->spins, 1);
    return NULL;
}

static void *napper(void *arg) {
    (void)arg;
    for (;;) {
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
        atomic_fetch_add(&shared->naps, 1);
    }
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* Waits until both counters have moved since `spins` and `naps`. */
static void wait_until_both_move(long spins, long naps) {
    for (int i = 0; i < 500; i++) {
        if (atomic_load(&shared->spins) > spins && atomic_load(&shared->naps) > naps) return;
        sleep_ms(10);
    }
    CHECK(!"the threads did not run");
}

int main(void) {
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pthread_t threads[2];
        if (pthread_create(&threads[0], NULL, spinner, NULL) != 0) _exit(101);
        if (pthread_create(&threads[1], NULL, napper, NULL) != 0) _exit(102);
        /* The main thread takes process-directed signals. */
        for (;;) pause();
    }
    wait_until_both_move(0, 0);

    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    /* Linux reports the stop once every thread has stopped; give the
     * other threads a moment to reach their stop, then nothing moves. */
    sleep_ms(50);
    long spins = atomic_load(&shared->spins), naps = atomic_load(&shared->naps);
    sleep_ms(200);
    CHECK_EQ(atomic_load(&shared->spins), spins);
    CHECK_EQ(atomic_load(&shared->naps), naps);

    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, WCONTINUED), child);
    CHECK(WIFCONTINUED(status));
    wait_until_both_move(spins, naps);

    CHECK_EQ(kill(child, SIGKILL), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return 0;
}

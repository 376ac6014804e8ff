/* A stop signal stops the whole process, every thread of it, until
 * SIGCONT; a thread asleep in a system call when the stop comes finishes
 * the call once continued. The parent hears of the stop only once every
 * thread has stopped: one spinning in user code, one asleep, one in the
 * middle of a long write, which it finishes first, and one making
 * threads (a clone the stop catches runs again once continued: no
 * pthread_create fails, and no thread is made while stopped). */
#include <fcntl.h>
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
    atomic_long writes;  /* bumped after each long write */
    atomic_long births;  /* bumped by each short-lived thread */
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

/* Spends its time in the kernel, copying 8 MiB per call. */
static void *writer(void *arg) {
    int fd = *(int *)arg;
    static char block[8 << 20];
    memset(block, 'w', sizeof block);
    for (;;) {
        if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block) _exit(103);
        atomic_fetch_add(&shared->writes, 1);
    }
    return NULL;
}

static void *newborn(void *arg) {
    (void)arg;
    atomic_fetch_add(&shared->births, 1);
    return NULL;
}

static void *spawner(void *arg) {
    (void)arg;
    for (;;) {
        pthread_t t;
        if (pthread_create(&t, NULL, newborn, NULL) != 0) _exit(105);
        if (pthread_join(t, NULL) != 0) _exit(106);
    }
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* Waits until the counters have moved since `spins`, `naps`, `writes`
 * and `births`. */
static void wait_until_all_move(long spins, long naps, long writes, long births) {
    for (int i = 0; i < 500; i++) {
        if (atomic_load(&shared->spins) > spins && atomic_load(&shared->naps) > naps &&
            atomic_load(&shared->writes) > writes && atomic_load(&shared->births) > births)
            return;
        sleep_ms(10);
    }
    CHECK(!"the threads did not run");
}

int main(void) {
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    static const char path[] = "/tmp/group_stop.data";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(unlink(path), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        pthread_t threads[4];
        if (pthread_create(&threads[0], NULL, spinner, NULL) != 0) _exit(101);
        if (pthread_create(&threads[1], NULL, napper, NULL) != 0) _exit(102);
        if (pthread_create(&threads[2], NULL, writer, &fd) != 0) _exit(104);
        if (pthread_create(&threads[3], NULL, spawner, NULL) != 0) _exit(107);
        /* The main thread takes process-directed signals. */
        for (;;) pause();
    }
    close(fd);
    wait_until_all_move(0, 0, 0, 0);

    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    /* Reported once every thread has stopped (the writer after its
     * write): from now on nothing moves. */
    long spins = atomic_load(&shared->spins), naps = atomic_load(&shared->naps);
    long writes = atomic_load(&shared->writes), births = atomic_load(&shared->births);
    sleep_ms(200);
    CHECK_EQ(atomic_load(&shared->spins), spins);
    CHECK_EQ(atomic_load(&shared->naps), naps);
    CHECK_EQ(atomic_load(&shared->writes), writes);
    CHECK_EQ(atomic_load(&shared->births), births);

    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, WCONTINUED), child);
    CHECK(WIFCONTINUED(status));
    wait_until_all_move(spins, naps, writes, births);

    CHECK_EQ(kill(child, SIGKILL), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return 0;
}

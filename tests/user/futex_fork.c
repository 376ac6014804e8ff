#define _GNU_SOURCE
/* Futex waiters and fork: a thread waiting on a word of private memory is
 * still woken after its process forks, although the waker's next write to
 * the page breaks copy-on-write and moves the parent to a new frame (the
 * key is the word of the address space, not of the frame; Linux's
 * get_futex_key). The same with glibc/musl semaphores, as Python's locks
 * use them. A word of a MAP_SHARED page is still one key across processes. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* <linux/futex.h>'s, which musl does not ship. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout) {
    return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

/* A child that lives, sharing every page copy-on-write, until released. */
static pid_t child_alive;
static int release_child;

static void fork_child(void) {
    int gate[2];
    CHECK_EQ(pipe(gate), 0);
    child_alive = fork();
    CHECK(child_alive >= 0);
    if (child_alive == 0) {
        char c;
        close(gate[1]);
        read(gate[0], &c, 1);
        _exit(0);
    }
    close(gate[0]);
    release_child = gate[1];
}

static void reap_child(void) {
    close(release_child);
    int status;
    CHECK_EQ(waitpid(child_alive, &status, 0), child_alive);
}

static uint32_t *word;
static volatile int waiting;

static void *raw_waiter(void *arg) {
    int op = (int)(intptr_t)arg;
    struct timespec timeout = {5, 0};
    waiting = 1;
    long r;
    do {
        r = futex(word, op, 0, &timeout);
    } while (r == -1 && errno == EINTR);
    /* Woken (0), or the word had changed first (EAGAIN): never timed out. */
    CHECK(r == 0 || errno == EAGAIN);
    return NULL;
}

static void raw_futex_across_fork(int op) {
    word = malloc(4096);
    CHECK(word != NULL);
    *word = 0;
    waiting = 0;
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, raw_waiter, (void *)(intptr_t)op), 0);
    while (!waiting) sched_yield();
    usleep(100 * 1000); /* well inside its futex wait */
    fork_child();
    *word = 1; /* the parent's write breaks copy-on-write */
    futex(word, op == FUTEX_WAIT_PRIVATE ? FUTEX_WAKE_PRIVATE : FUTEX_WAKE, 1, NULL);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    reap_child();
    free(word);
}

static sem_t *semaphore;

static void *sem_waiter(void *arg) {
    (void)arg;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    waiting = 1;
    int r;
    while ((r = sem_timedwait(semaphore, &deadline)) == -1 && errno == EINTR) {}
    CHECK_EQ(r, 0);
    return NULL;
}

static void semaphore_across_fork(void) {
    semaphore = malloc(sizeof *semaphore);
    CHECK_EQ(sem_init(semaphore, 0, 0), 0);
    waiting = 0;
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, sem_waiter, NULL), 0);
    while (!waiting) sched_yield();
    usleep(100 * 1000);
    fork_child();
    CHECK_EQ(sem_post(semaphore), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    reap_child();
    sem_destroy(semaphore);
    free(semaphore);
}

/* A shared mapping's word: the child waits, the parent wakes. */
static void shared_word_between_processes(void) {
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    *shared = 0;
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct timespec timeout = {5, 0};
        shared[1] = 1;
        long r = futex(shared, FUTEX_WAIT, 0, &timeout);
        _exit(r == 0 || (r == -1 && errno == EAGAIN) ? 0 : 1);
    }
    while (!__atomic_load_n(&shared[1], __ATOMIC_SEQ_CST)) sched_yield();
    usleep(100 * 1000);
    __atomic_store_n(shared, 1, __ATOMIC_SEQ_CST);
    futex(shared, FUTEX_WAKE, 1, NULL);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    raw_futex_across_fork(FUTEX_WAIT_PRIVATE);
    raw_futex_across_fork(FUTEX_WAIT);
    semaphore_across_fork();
    shared_word_between_processes();
    return 0;
}

/* membarrier: the commands Linux serves without rseq, private ones only
 * after their registration (which a fork keeps and an exec drops), and barriers that come back while the
 * process's other threads spin in user mode on other CPUs (each must take
 * the interrupt for the call to return). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

/* musl has no <linux/membarrier.h>. */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE 32

static long membarrier(int cmd, unsigned flags) {
    return syscall(SYS_membarrier, cmd, flags, 0);
}

static volatile int stop;
static volatile long spins[3];

static void *spin(void *argument) {
    long index = (long)argument;
    while (!stop) spins[index]++;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        /* Run again by exec: a new address space, no registration. */
        return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == -1 && errno == EPERM ? 0 : 1;
    }
    long served = membarrier(MEMBARRIER_CMD_QUERY, 0);
    CHECK(served > 0);
    int wanted = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
                 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
                 MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE;
    CHECK_EQ(served & wanted, wanted);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL, 1), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0), 0);

    pthread_t threads[3];
    for (long i = 0; i < 3; i++) {
        CHECK_EQ(pthread_create(&threads[i], NULL, spin, (void *)i), 0);
    }
    for (int round = 0; round < 300; round++) {
        CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0);
        if (round % 10 == 0) {
            CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL, 0), 0);
        }
    }
    stop = 1;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
    }
    /* A child keeps the registration (its address space is a copy). */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        _exit(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0 ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* An exec drops it. */
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        execl("/proc/self/exe", argv[0], "after-exec", (char *)NULL);
        _exit(2);
    }
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

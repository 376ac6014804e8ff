/* A signal sent to a new child or thread before it first runs is handled
 * before its first user instruction (Linux's ret_from_fork returns to
 * user mode through the same signal check as every system call).
 *
 * Everything runs on one CPU, so the new task can only run while its
 * creator does not: if it sees `sent` set (stored after kill returned), the
 * signal was pending before it ran at all, or before it was last resumed,
 * and either way its handler must already have run. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static volatile int *sent;
static volatile pid_t handled_by;
static volatile sig_atomic_t handled;

static void on_usr1(int signal) {
    (void)signal;
    handled++;
    handled_by = (pid_t)syscall(SYS_gettid);
}

/* 0 if the handler ran whenever `sent` was seen set, else 1. */
static int first_look(void) {
    int seen = *sent;
    int handled = handled_by == (pid_t)syscall(SYS_gettid);
    return seen && !handled;
}

static void *thread_body(void *argument) {
    (void)argument;
    return (void *)(long)first_look();
}

int main(void) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    sent = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sent != MAP_FAILED);
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);

    for (int round = 0; round < 20; round++) {
        /* The raw call: libc's fork makes system calls in the child
         * (musl asks for its tid) before returning, which would deliver
         * the signal whether or not the first entry looked. */
        *sent = 0;
        handled = 0;
        pid_t child = (pid_t)syscall(SYS_fork);
        CHECK(child >= 0);
        if (child == 0) {
            int seen = *sent;
            _exit(seen && !handled);
        }
        CHECK_EQ(kill(child, SIGUSR1), 0);
        *sent = 1;
        int status;
        CHECK_EQ(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0) {
            fprintf(stderr, "round %d: a child ran user code with SIGUSR1 pending\n", round);
            return 1;
        }

        /* libc starts a thread with signals blocked and unblocks them in
         * it (a system call), so this mostly checks that delivery. */
        *sent = 0;
        pthread_t thread;
        CHECK_EQ(pthread_create(&thread, NULL, thread_body, NULL), 0);
        CHECK_EQ(pthread_kill(thread, SIGUSR1), 0);
        *sent = 1;
        void *result;
        CHECK_EQ(pthread_join(thread, &result), 0);
        if (result != NULL) {
            fprintf(stderr, "round %d: a thread ran user code with SIGUSR1 pending\n", round);
            return 1;
        }
    }
    return 0;
}

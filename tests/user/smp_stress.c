/* Threads of one process on every CPU at once, for a few seconds:
 *  - futex ping-pong between the first and the last CPU (no lost wake-up);
 *  - a page replaced by another at the same address while a thread on
 *    another CPU reads it: the reader must see each new page, never a
 *    stale translation of the old one (TLB shootdown on unmap);
 *  - threads created and ending everywhere while others run, then
 *    processes whose threads spin on every CPU ending with exit_group.
 * Passes on one CPU too (everything then takes turns). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* musl-gcc has no kernel headers. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static long cpus;

static void pin(long cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % cpus, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- futex ping-pong ---- */
static _Atomic uint32_t ball;
static const uint32_t ROUNDS = 4000;

static void futex_wait(_Atomic uint32_t *word, uint32_t value) {
    syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}
static void futex_wake(_Atomic uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void *player(void *arg) {
    long side = (long)arg; /* 0 serves odd numbers, 1 even */
    pin(side == 0 ? 0 : cpus - 1);
    for (;;) {
        uint32_t seen = atomic_load(&ball);
        if (seen >= 2 * ROUNDS) return NULL;
        if (seen % 2 == (uint32_t)side) {
            atomic_store(&ball, seen + 1);
            futex_wake(&ball);
        } else {
            futex_wait(&ball, seen);
        }
    }
}

/* ---- remapping under a reader ---- */
static char *page;
static _Atomic uint32_t published; /* generation mapped and written */
static _Atomic uint32_t acknowledged; /* generation the reader saw */
static _Atomic int stale;
static const uint32_t GENERATIONS = 300;

static void *reader(void *arg) {
    (void)arg;
    pin(cpus - 1);
    uint32_t expect = 1;
    while (expect <= GENERATIONS) {
        if (atomic_load(&published) != expect) {
            sched_yield();
            continue;
        }
        /* Several reads: a stale entry would keep showing the old page. */
        for (int i = 0; i < 8; i++) {
            if (*(volatile uint32_t *)page != expect) atomic_store(&stale, 1);
        }
        atomic_store(&acknowledged, expect);
        expect++;
    }
    return NULL;
}

static void remap_under_reader(void) {
    int generations = memfd_create("generations", 0);
    CHECK(generations >= 0);
    CHECK_EQ(ftruncate(generations, (off_t)(GENERATIONS + 1) * 4096), 0);
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, generations, 4096);
    CHECK(page != MAP_FAILED);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, reader, NULL), 0);
    pin(0);
    for (uint32_t gen = 1; gen <= GENERATIONS; gen++) {
        if (gen > 1) {
            /* The reader may hold the old translation: the next page of
             * a shared file replaces the old one at the same address.
             * The old page stays in the file with the old generation, so
             * a stale entry shows it (a freed frame would be handed out
             * again and could hide one). */
            char *again = mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                               generations, (off_t)gen * 4096);
            CHECK(again == page);
        }
        *(volatile uint32_t *)page = gen;
        atomic_store(&published, gen);
        while (atomic_load(&acknowledged) != gen) sched_yield();
    }
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(atomic_load(&stale), 0);
    munmap(page, 4096);
    close(generations);
}

/* ---- threads coming and going, exit_group under running threads ---- */
static void *brief(void *arg) {
    atomic_fetch_add((_Atomic long *)arg, 1);
    return NULL;
}

static void *spinner(void *arg) {
    pin((long)arg);
    for (volatile unsigned long i = 0;; i++) {
    }
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.5;
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(cpus >= 1);
    cpu_set_t all;
    CHECK_EQ(sched_getaffinity(0, sizeof all, &all), 0);

    pthread_t players[2];
    for (long i = 0; i < 2; i++) CHECK_EQ(pthread_create(&players[i], NULL, player, (void *)i), 0);
    for (int i = 0; i < 2; i++) CHECK_EQ(pthread_join(players[i], NULL), 0);
    CHECK_EQ(atomic_load(&ball), 2 * ROUNDS);

    remap_under_reader();
    CHECK_EQ(sched_setaffinity(0, sizeof all, &all), 0);

    _Atomic long ran = 0;
    long started = 0;
    double end = now() + seconds;
    while (now() < end) {
        pthread_t batch[8];
        for (int i = 0; i < 8; i++) {
            CHECK_EQ(pthread_create(&batch[i], NULL, brief, (void *)&ran), 0);
            started++;
        }
        for (int i = 0; i < 8; i++) CHECK_EQ(pthread_join(batch[i], NULL), 0);
    }
    CHECK_EQ(atomic_load(&ran), started);

    for (int round = 0; round < 10; round++) {
        pid_t child = fork();
        if (child == 0) {
            pthread_t spin;
            for (long cpu = 0; cpu < cpus; cpu++) pthread_create(&spin, NULL, spinner, (void *)cpu);
            usleep(20000);
            _exit(7); /* exit_group while every thread runs */
        }
        int status;
        CHECK_EQ(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status));
        CHECK_EQ(WEXITSTATUS(status), 7);
    }
    return 0;
}

/* System V semaphores: all-or-nothing operations, waits for zero and for
 * an increase across processes, undo at exit, removal and signals ending
 * waits, as on Linux. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int value(int id, int sem) { return semctl(id, sem, GETVAL); }

static int op(int id, unsigned short sem, short delta, short flags) {
    struct sembuf sop = {.sem_num = sem, .sem_op = delta, .sem_flg = flags};
    return semop(id, &sop, 1);
}

static void pause_briefly(void) {
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static int child_status(pid_t child) {
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Waits until `count` processes wait on semaphore `sem` (GETNCNT or
 * GETZCNT). */
static void await_waiters(int id, int sem, int cmd, int count) {
    for (int i = 0; i < 200 && semctl(id, sem, cmd) != count; i++) pause_briefly();
    CHECK_EQ(semctl(id, sem, cmd), count);
}

static void operations(void) {
    int id = semget(IPC_PRIVATE, 3, 0600);
    CHECK(id >= 0);
    unsigned short values[3] = {9, 9, 9};
    CHECK_EQ(semctl(id, 0, GETALL, (union semun){.array = values}), 0);
    CHECK(values[0] == 0 && values[1] == 0 && values[2] == 0);
    unsigned short set[3] = {1, 0, 5};
    CHECK_EQ(semctl(id, 0, SETALL, (union semun){.array = set}), 0);
    CHECK_EQ(value(id, 2), 5);
    CHECK_EQ(semctl(id, 1, SETVAL, (union semun){.val = 2}), 0);
    CHECK_EQ(value(id, 1), 2);
    errno = 0;
    CHECK_EQ(semctl(id, 1, SETVAL, (union semun){.val = 32768}), -1);
    CHECK_EQ(errno, ERANGE);
    CHECK_EQ(semctl(id, 3, GETVAL), -1);
    CHECK_EQ(errno, EINVAL);

    /* All or nothing: the second operation cannot go, so neither does. */
    struct sembuf both[2] = {{0, -1, IPC_NOWAIT}, {1, -3, IPC_NOWAIT}};
    CHECK_EQ(semop(id, both, 2), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(value(id, 0), 1);
    both[1].sem_op = -2;
    CHECK_EQ(semop(id, both, 2), 0);
    CHECK_EQ(value(id, 0), 0);
    CHECK_EQ(value(id, 1), 0);
    CHECK_EQ(semctl(id, 0, GETPID), getpid());

    CHECK_EQ(op(id, 2, 32767, 0), -1);
    CHECK_EQ(errno, ERANGE);
    CHECK_EQ(op(id, 3, 1, 0), -1);
    CHECK_EQ(errno, EFBIG);
    struct sembuf many[501] = {{0}};
    CHECK_EQ(semop(id, many, 501), -1);
    CHECK_EQ(errno, E2BIG);
    CHECK_EQ(semop(id, many, 0), -1);
    CHECK_EQ(errno, EINVAL);
    /* Waiting for zero on a zero semaphore goes at once. */
    CHECK_EQ(op(id, 0, 0, 0), 0);
    /* A timed wait gives up with EAGAIN. */
    struct sembuf down = {0, -1, 0};
    struct timespec timeout = {0, 100 * 1000 * 1000};
    CHECK_EQ(semtimedop(id, &down, 1, &timeout), -1);
    CHECK_EQ(errno, EAGAIN);

    FILE *f = fopen("/proc/sysvipc/sem", "r");
    CHECK(f != NULL);
    char line[512];
    int listed = 0;
    while (fgets(line, sizeof line, f)) {
        int key, semid;
        unsigned perms;
        long nsems;
        if (sscanf(line, "%d %d %o %ld", &key, &semid, &perms, &nsems) == 4 && semid == id)
            listed = nsems == 3 && perms == 0600;
    }
    fclose(f);
    CHECK(listed);

    struct semid_ds ds;
    CHECK_EQ(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
    CHECK_EQ(ds.sem_nsems, 3);
    CHECK(ds.sem_otime > 0 && ds.sem_ctime > 0);
    CHECK_EQ(ds.sem_perm.mode & 0777, 0600);
    struct seminfo info;
    CHECK(semctl(0, 0, IPC_INFO, (union semun){.__buf = &info}) >= 0);
    CHECK_EQ(info.semmsl, 32000);
    CHECK_EQ(info.semopm, 500);
    CHECK_EQ(info.semvmx, 32767);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    CHECK_EQ(value(id, 0), -1);
    CHECK_EQ(errno, EINVAL);
}

/* Another process waits for an increase, or for zero, and is counted
 * while it waits. */
static void waiting_across_processes(void) {
    key_t key = 0x73656d31;
    int id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    CHECK_EQ(semget(key, 3, 0600), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(semget(key, 2, 0600), id);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (op(semget(key, 0, 0), 0, -2, 0) != 0) _exit(2);
        _exit(0);
    }
    await_waiters(id, 0, GETNCNT, 1);
    CHECK_EQ(op(id, 0, 1, 0), 0);
    pause_briefly();
    CHECK_EQ(semctl(id, 0, GETNCNT), 1);
    CHECK_EQ(op(id, 0, 1, 0), 0);
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(value(id, 0), 0);
    CHECK_EQ(semctl(id, 0, GETNCNT), 0);

    CHECK_EQ(semctl(id, 1, SETVAL, (union semun){.val = 1}), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) _exit(op(id, 1, 0, 0) == 0 ? 0 : 2);
    await_waiters(id, 1, GETZCNT, 1);
    CHECK_EQ(op(id, 1, -1, 0), 0);
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
}

/* SEM_UNDO: what a process did is undone when it ends, however it ends. */
static void undo_at_exit(void) {
    int id = semget(IPC_PRIVATE, 1, 0600);
    CHECK_EQ(semctl(id, 0, SETVAL, (union semun){.val = 3}), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (op(id, 0, 2, SEM_UNDO) != 0 || op(id, 0, -4, SEM_UNDO) != 0) _exit(2);
        _exit(0);
    }
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(value(id, 0), 3);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        op(id, 0, -3, SEM_UNDO);
        for (;;) pause();
    }
    for (int i = 0; i < 200 && value(id, 0) != 0; i++) pause_briefly();
    CHECK_EQ(value(id, 0), 0);
    CHECK_EQ(kill(child, SIGKILL), 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(value(id, 0), 3);
    CHECK_EQ(semctl(id, 0, GETPID), child);
    /* SETVAL drops the adjustments. */
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (op(id, 0, 1, SEM_UNDO) != 0) _exit(2);
        if (semctl(id, 0, SETVAL, (union semun){.val = 7}) != 0) _exit(3);
        _exit(0);
    }
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(value(id, 0), 7);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
}

static void on_alarm(int signal) { (void)signal; }

static void waits_end_with_removal_or_a_signal(void) {
    int id = semget(IPC_PRIVATE, 1, 0600);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (op(id, 0, -1, 0) != -1) _exit(2);
        _exit(errno == EIDRM ? 0 : 3);
    }
    await_waiters(id, 0, GETNCNT, 1);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    CHECK_EQ(child_status(child), 0);

    id = semget(IPC_PRIVATE, 1, 0600);
    struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    CHECK_EQ(sigaction(SIGALRM, &action, NULL), 0);
    alarm(1);
    errno = 0;
    CHECK_EQ(op(id, 0, -1, 0), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(semctl(id, 0, GETNCNT), 0);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
}

static void permissions(void) {
    int id = semget(IPC_PRIVATE, 1, 0604);
    CHECK(id >= 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (setgid(65534) || setuid(65534)) _exit(2);
        if (value(id, 0) != 0) _exit(3);
        /* Waiting for zero only reads. */
        if (op(id, 0, 0, IPC_NOWAIT) != 0) _exit(4);
        if (op(id, 0, 1, 0) != -1 || errno != EACCES) _exit(5);
        if (semctl(id, 0, SETVAL, (union semun){.val = 1}) != -1 || errno != EACCES) _exit(6);
        if (semctl(id, 0, IPC_RMID) != -1 || errno != EPERM) _exit(7);
        _exit(0);
    }
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
}

int main(void) {
    operations();
    waiting_across_processes();
    undo_at_exit();
    waits_end_with_removal_or_a_signal();
    permissions();
    return 0;
}

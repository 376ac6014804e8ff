/* System V shared memory: segments shared across attachments, fork and
 * processes that find them by key; counted, removed and destroyed as on
 * Linux. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static struct shmid_ds status(int id) {
    struct shmid_ds ds;
    memset(&ds, 0xa5, sizeof ds);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    return ds;
}

/* The /proc/sysvipc/shm row of segment `id`: its nattch and size, or -1. */
static long proc_row(int id, long *size) {
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    CHECK(f != NULL);
    char line[512];
    long nattch = -1;
    CHECK(fgets(line, sizeof line, f) != NULL);
    CHECK(strstr(line, "shmid perms") != NULL);
    while (fgets(line, sizeof line, f)) {
        int key, shmid;
        unsigned perms;
        long segsz, cpid, lpid, attached;
        if (sscanf(line, "%d %d %o %ld %ld %ld %ld", &key, &shmid, &perms, &segsz, &cpid, &lpid,
                   &attached) == 7 &&
            shmid == id) {
            nattch = attached;
            *size = segsz;
        }
    }
    fclose(f);
    return nattch;
}

static int maps_mention(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) found |= strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Two attachments in one process are one set of pages. */
static void attachments_share_pages(void) {
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    CHECK(id >= 0);
    char *a = shmat(id, NULL, 0);
    char *b = shmat(id, NULL, 0);
    CHECK(a != (void *)-1 && b != (void *)-1 && a != b);
    CHECK_EQ((uintptr_t)a % SHMLBA, 0);
    /* Fresh pages read as zeros, up to the end of the last page. */
    for (int i = 0; i < 12288; i += 512) CHECK_EQ(a[i], 0);
    strcpy(a + 9000, "through a");
    CHECK(strcmp(b + 9000, "through a") == 0);
    struct shmid_ds ds = status(id);
    CHECK_EQ(ds.shm_segsz, 10000);
    CHECK_EQ(ds.shm_nattch, 2);
    CHECK_EQ(ds.shm_cpid, getpid());
    CHECK_EQ(ds.shm_lpid, getpid());
    CHECK(ds.shm_atime > 0);
    CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
    CHECK_EQ(ds.shm_perm.uid, geteuid());
    CHECK(maps_mention("/SYSV00000000"));
    long size = 0;
    CHECK_EQ(proc_row(id, &size), 2);
    CHECK_EQ(size, 10000);
    CHECK_EQ(shmdt(a), 0);
    CHECK_EQ(status(id).shm_nattch, 1);
    CHECK(status(id).shm_dtime > 0);
    /* Detaching twice, or in the middle, is EINVAL. */
    errno = 0;
    CHECK_EQ(shmdt(a), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(shmdt(b + 4096), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(shmdt(b), 0);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
}

/* fork shares the attachments; a child's writes are the parent's reads;
 * exit and exec drop the child's attachments. */
static void fork_shares_exec_and_exit_detach(const char *self) {
    int id = shmget(IPC_PRIVATE, 4096, 0600);
    CHECK(id >= 0);
    volatile int *word = shmat(id, NULL, 0);
    CHECK(word != (void *)-1);
    *word = 1;
    int ready[2], go[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(go), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK_EQ(*word, 1);
        *word = 2;
        char fds[32];
        snprintf(fds, sizeof fds, "%d %d", ready[1], go[0]);
        execl(self, self, "after-exec", fds, (char *)NULL);
        _exit(3);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    /* The child wrote through its inherited attachment, then its exec
     * detached it. */
    CHECK_EQ(*word, 2);
    CHECK_EQ(status(id).shm_nattch, 1);
    CHECK_EQ(write(go[1], "x", 1), 1);
    int wstatus;
    CHECK_EQ(waitpid(child, &wstatus, 0), child);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);

    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK_EQ(status(id).shm_nattch, 2);
        _exit(0);
    }
    CHECK_EQ(waitpid(child, &wstatus, 0), child);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    CHECK_EQ(status(id).shm_nattch, 1);
    CHECK_EQ(shmdt((void *)word), 0);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
}

/* IPC_RMID: the key is free at once, the pages stay while attached (and
 * may be attached again by id, as Linux allows), then the id is gone. */
static void removal_waits_for_the_last_detach(void) {
    key_t key = 0x5ca1ab1e;
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    errno = 0;
    CHECK_EQ(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(shmget(key, 8192, 0600), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(shmget(key, 100, 0600), id);
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1);
    strcpy(p, "kept");
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
    struct shmid_ds ds = status(id);
    CHECK(ds.shm_perm.mode & SHM_DEST);
    CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE);
    CHECK_EQ(ds.shm_nattch, 1);
    CHECK_EQ(shmget(key, 4096, 0600), -1);
    CHECK_EQ(errno, ENOENT);
    char *again = shmat(id, NULL, SHM_RDONLY);
    CHECK(again != (void *)-1);
    CHECK(strcmp(again, "kept") == 0);
    CHECK_EQ(shmdt(p), 0);
    CHECK_EQ(shmdt(again), 0);
    errno = 0;
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(shmat(id, NULL, 0), (void *)-1);
    CHECK_EQ(errno, EINVAL);
}

/* A read-only attachment faults on a write; SHM_RND rounds; a taken
 * range needs SHM_REMAP. */
static void read_only_and_fixed_attachments(void) {
    int id = shmget(IPC_PRIVATE, 8192, 0600);
    CHECK(id >= 0);
    char *rw = shmat(id, NULL, 0);
    CHECK(rw != (void *)-1);
    rw[0] = 'r';
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        volatile char *ro = shmat(id, NULL, SHM_RDONLY);
        if (ro == (void *)-1 || ro[0] != 'r') _exit(2);
        ro[0] = 'w';
        _exit(3);
    }
    int wstatus;
    CHECK_EQ(waitpid(child, &wstatus, 0), child);
    CHECK(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSEGV);
    CHECK_EQ(rw[0], 'r');

    errno = 0;
    CHECK_EQ(shmat(id, rw, 0), (void *)-1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(shmat(id, rw + 1, 0), (void *)-1);
    CHECK_EQ(errno, EINVAL);
    char *same = shmat(id, rw + 1, SHM_RND | SHM_REMAP);
    CHECK(same == rw);
    CHECK_EQ(same[0], 'r');
    CHECK_EQ(status(id).shm_nattch, 1);
    CHECK_EQ(shmdt(same), 0);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
}

/* IPC_SET changes owner and mode for the owner; others are refused, and
 * the info commands describe the namespace. */
static void control_commands(void) {
    int id = shmget(IPC_PRIVATE, 4096, 0640);
    CHECK(id >= 0);
    struct shmid_ds ds = status(id);
    ds.shm_perm.mode = 0604;
    CHECK_EQ(shmctl(id, IPC_SET, &ds), 0);
    CHECK_EQ(status(id).shm_perm.mode & 0777, 0604);

    struct shminfo limits;
    int highest = shmctl(0, IPC_INFO, (struct shmid_ds *)&limits);
    CHECK(highest >= 0);
    CHECK_EQ(limits.shmmin, 1);
    CHECK(limits.shmmni >= 4096);
    struct shm_info usage;
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&usage) >= 0);
    CHECK(usage.used_ids >= 1);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (setgid(65534) || setuid(65534)) _exit(2);
        struct shmid_ds theirs;
        /* 0604: others may read. */
        if (shmctl(id, IPC_STAT, &theirs) != 0) _exit(3);
        if (shmat(id, NULL, 0) != (void *)-1 || errno != EACCES) _exit(4);
        if (shmat(id, NULL, SHM_RDONLY) == (void *)-1) _exit(5);
        if (shmctl(id, IPC_RMID, NULL) != -1 || errno != EPERM) _exit(6);
        if (shmctl(id, IPC_SET, &theirs) != -1 || errno != EPERM) _exit(7);
        _exit(0);
    }
    int wstatus;
    CHECK_EQ(waitpid(child, &wstatus, 0), child);
    CHECK(WIFEXITED(wstatus));
    CHECK_EQ(WEXITSTATUS(wstatus), 0);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
    errno = 0;
    CHECK_EQ(shmctl(id, 12345, &ds), -1);
    CHECK_EQ(errno, EINVAL);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "after-exec") == 0) {
        int ready, go;
        CHECK_EQ(sscanf(argv[2], "%d %d", &ready, &go), 2);
        CHECK(!maps_mention("/SYSV"));
        char byte;
        CHECK_EQ(write(ready, "r", 1), 1);
        CHECK_EQ(read(go, &byte, 1), 1);
        return 0;
    }
    attachments_share_pages();
    fork_shares_exec_and_exit_detach(argv[0]);
    removal_waits_for_the_last_detach();
    read_only_and_fixed_attachments();
    control_commands();
    return 0;
}

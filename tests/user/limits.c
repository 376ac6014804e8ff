/* Exhaustion is an error, not a crash, and leaves nothing behind: EMFILE
 * for a process's descriptors, ENFILE past the system-wide file-max,
 * EAGAIN for fork bombs bounded by threads-max and by RLIMIT_NPROC; then
 * descriptors, memory and heap are back where they were. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static void write_number(const char *path, long value) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fprintf(f, "%ld\n", value) > 0);
    CHECK_EQ(fclose(f), 0);
}

/* How far file-nr may be above the true count: Courage's is exact; Linux
 * keeps it in per-CPU counters and frees a closed file a little later. */
static long file_count_slack(void) {
    return on_courage() ? 0 : 64;
}

/* Threads in the system: the total of /proc/loadavg's "running/total". */
static long thread_total(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    CHECK(f != NULL);
    long running = -1, total = -1;
    CHECK_EQ(fscanf(f, "%*s %*s %*s %ld/%ld", &running, &total), 2);
    fclose(f);
    return total;
}

/* Forks up to `most` children that wait on a pipe, stopping at the first
 * refusal (which must be EAGAIN); lets them all go and returns how many it
 * made. */
static int fork_waiting(int most, int *refused) {
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    int forked = 0, failed = 0;
    for (int i = 0; i < most; i++) {
        pid_t child = fork();
        if (child == 0) {
            char c;
            close(pipefd[1]);
            read(pipefd[0], &c, 1); /* wait until the parent lets go */
            _exit(0);
        }
        if (child < 0) {
            CHECK_EQ(errno, EAGAIN);
            failed++;
            break;
        }
        forked++;
    }
    *refused = failed;
    close(pipefd[0]);
    close(pipefd[1]); /* every child reads EOF and exits */
    while (wait(NULL) > 0) {}
    CHECK_EQ(errno, ECHILD);
    return forked;
}

static int fork_until_refused(int most) {
    int refused;
    int forked = fork_waiting(most, &refused);
    CHECK_EQ(refused, 1);
    return forked;
}

/* Past file-max, an unprivileged open fails with ENFILE though the process
 * is far below its own RLIMIT_NOFILE. */
static void file_max_gives_enfile(void) {
    long file_max = read_number("/proc/sys/fs/file-max");
    long open_before = read_number("/proc/sys/fs/file-nr");
    write_number("/proc/sys/fs/file-max", open_before + 20);
    pid_t user = fork();
    CHECK(user >= 0);
    if (user == 0) {
        CHECK_EQ(setgid(65534), 0);
        CHECK_EQ(setuid(65534), 0);
        int opened = 0;
        for (;;) {
            int fd = open("/", O_RDONLY);
            if (fd < 0) break;
            opened++;
        }
        CHECK_EQ(errno, ENFILE);
        /* Far below RLIMIT_NOFILE (1024). Courage counts exactly (file-nr
         * counted its own open file: 21 slots); Linux lazily, so more. */
        if (!(opened > 5 && opened <= 100)) {
            fprintf(stderr, "opened %d files with file-nr %ld before\n", opened, open_before);
            _exit(1);
        }
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(user, &status, 0), user);
    write_number("/proc/sys/fs/file-max", file_max);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(read_number("/proc/sys/fs/file-max"), file_max);
    /* The user's descriptors all closed at its exit. */
    CHECK(read_number("/proc/sys/fs/file-nr") <= open_before + file_count_slack());
}

/* threads-max binds root too. */
static void threads_max_stops_a_fork_bomb(void) {
    long threads_max = read_number("/proc/sys/kernel/threads-max");
    CHECK(threads_max >= 20);
    long allowed = thread_total() + 10;
    write_number("/proc/sys/kernel/threads-max", allowed);
    int forked = fork_until_refused(1000);
    write_number("/proc/sys/kernel/threads-max", threads_max);
    CHECK(forked > 0 && forked <= 10);
    /* A value out of range is refused. */
    FILE *f = fopen("/proc/sys/kernel/threads-max", "w");
    CHECK(f != NULL);
    fprintf(f, "0\n");
    CHECK_EQ(fclose(f), EOF);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(read_number("/proc/sys/kernel/threads-max"), threads_max);
}

/* KernelStack once a child that does nothing but exit is reaped. The
 * kernel frees dead threads at the next spawn or exit, so such a child
 * frees those before it and is the one left waiting: counted this way,
 * two moments see the same number of dead threads, on any number of
 * CPUs (and a thread still leaving its CPU is waited for). */
static long stacks_after_a_quiet_exit(void) {
    long stacks = -1;
    for (int round = 0; round < 10; round++) {
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) _exit(0);
        CHECK_EQ(waitpid(child, NULL, 0), child);
        long now = meminfo_kb("KernelStack");
        if (now == stacks) break;
        stacks = now;
        usleep(10000);
    }
    return stacks;
}

/* /proc/meminfo counts what processes cost the kernel: each live child
 * adds a kernel stack and page tables, and reaping gives them back. */
static void meminfo_counts_stacks_and_page_tables(void) {
    long stacks = stacks_after_a_quiet_exit();
    long tables = meminfo_kb("PageTables");
    CHECK(stacks > 0 && tables > 0);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    for (int i = 0; i < 8; i++) {
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) {
            char c;
            close(pipefd[1]);
            read(pipefd[0], &c, 1);
            _exit(0);
        }
    }
    CHECK(meminfo_kb("KernelStack") >= stacks + 8 * 8); /* 8 KiB stacks at least */
    CHECK(meminfo_kb("PageTables") > tables);
    close(pipefd[0]);
    close(pipefd[1]);
    while (wait(NULL) > 0) {}
    CHECK(stacks_after_a_quiet_exit() <= stacks);
}

/* Init's RLIMIT_NPROC is half of threads-max, as Linux sets it at boot. */
static void init_nproc_is_half_of_threads_max(void) {
    FILE *f = fopen("/proc/1/limits", "r");
    CHECK(f != NULL);
    char line[256];
    long soft = -1, hard = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Max processes %ld %ld", &soft, &hard) == 2) break;
    fclose(f);
    long half = read_number("/proc/sys/kernel/threads-max") / 2;
    CHECK_EQ(soft, half);
    CHECK_EQ(hard, half);
}

int main(void) {
    init_nproc_is_half_of_threads_max();
    /* Warm-up, as wide as the bombs below: caches filled once (kernel
     * stacks kept for reuse, the pid allocator's pages) are not leaks. */
    int refused;
    CHECK_EQ(fork_waiting(40, &refused), 40);
    CHECK_EQ(refused, 0);
    long free_before = meminfo_kb("MemFree"), slab_before = meminfo_kb("Slab");
    long files_before = read_number("/proc/sys/fs/file-nr");
    meminfo_counts_stacks_and_page_tables();
    file_max_gives_enfile();
    threads_max_stops_a_fork_bomb();

    struct rlimit limit = {64, 64};
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
    int last = -1, count = 0;
    for (;;) {
        int fd = open("/", O_RDONLY);
        if (fd < 0) break;
        last = fd;
        count++;
    }
    CHECK_EQ(errno, EMFILE);
    CHECK_EQ(last, 63);
    CHECK_EQ(dup(0), -1);
    CHECK_EQ(errno, EMFILE);
    for (int fd = 3; fd <= last; fd++) close(fd);
    (void)count;

    /* RLIMIT_NPROC does not bind root: bomb as an unprivileged user. */
    pid_t bomber = fork();
    CHECK(bomber >= 0);
    if (bomber == 0) {
        CHECK_EQ(setgid(65534), 0);
        CHECK_EQ(setuid(65534), 0);
        limit.rlim_cur = limit.rlim_max = 20;
        CHECK_EQ(setrlimit(RLIMIT_NPROC, &limit), 0);
        /* The bomber itself is one of the user's 20. */
        int forked = fork_until_refused(100);
        CHECK(forked > 0 && forked <= 19);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(bomber, &status, 0), bomber);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Nothing left behind: every descriptor closed, and memory and heap
     * within what Linux 6.1 moves under the same QEMU (caches, the pid
     * allocator's pages). */
    CHECK(read_number("/proc/sys/fs/file-nr") <= files_before + file_count_slack());
    long free_lost = free_before - meminfo_kb("MemFree");
    long slab_grown = meminfo_kb("Slab") - slab_before;
    if (free_lost > 512 || slab_grown > 256) {
        fprintf(stderr, "lost %ld kB of MemFree, Slab grew %ld kB\n", free_lost, slab_grown);
        return 1;
    }
    return 0;
}

/* Nothing leaks per process: after a warm-up, 10,000 short-lived processes
 * (fork, exec of this program, exit, wait) leave free memory, the kernel
 * heap, kernel stacks, page tables and the open-file count where they
 * were. Courage's counts are exact, so its bounds are tight; Linux 6.1
 * under the same QEMU keeps per-CPU and cached counts (its bounds are the
 * looser second figures). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

enum { PROCESSES = 10000 };

static void run_children(int count, char *self) {
    for (int i = 0; i < count; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char *argv[] = {self, "child", NULL};
            char *envp[] = {"A=1", NULL};
            execve("/proc/self/exe", argv, envp);
            _exit(127);
        }
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

struct counts {
    long free_kb, slab_kb, stack_kb, tables_kb, files;
};

static struct counts take_counts(void) {
    struct counts c = {
        .free_kb = meminfo_kb("MemFree"),
        .slab_kb = meminfo_kb("Slab"),
        .stack_kb = meminfo_kb("KernelStack"),
        .tables_kb = meminfo_kb("PageTables"),
        .files = read_number("/proc/sys/fs/file-nr"),
    };
    return c;
}

static int within_bounds(const struct counts *before, const struct counts *after, int exact) {
    return before->free_kb - after->free_kb <= (exact ? 300 : 2048) &&
           after->slab_kb - before->slab_kb <= (exact ? 16 : 2048) &&
           after->stack_kb - before->stack_kb <= (exact ? 0 : 64) &&
           after->tables_kb - before->tables_kb <= (exact ? 0 : 64) &&
           after->files - before->files <= (exact ? 0 : 64);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) return 0;
    int exact = on_courage();
    run_children(200, argv[0]);
    struct counts before = take_counts();
    run_children(PROCESSES, argv[0]);
    /* Exited threads' stacks are freed by a finalizer that may still be
     * due on another CPU: give the counts a second to settle. */
    struct counts after = take_counts();
    for (int i = 0; i < 100 && !within_bounds(&before, &after, exact); i++) {
        usleep(10000);
        after = take_counts();
    }
    printf("after %d processes: MemFree %ld -> %ld kB, Slab %ld -> %ld kB, "
           "KernelStack %ld -> %ld kB, PageTables %ld -> %ld kB, files %ld -> %ld\n",
           PROCESSES, before.free_kb, after.free_kb, before.slab_kb, after.slab_kb,
           before.stack_kb, after.stack_kb, before.tables_kb, after.tables_kb, before.files,
           after.files);
    CHECK(within_bounds(&before, &after, exact));
    return 0;
}

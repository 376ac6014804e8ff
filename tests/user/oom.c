/* Memory exhaustion: a process that allocates without bound is killed
 * with SIGKILL by the out-of-memory killer while another keeps working and
 * finishes; a process with oom_score_adj 1000 goes before a larger one;
 * free memory comes back afterwards. Also /proc/<pid>/oom_score_adj and
 * oom_score as Linux shows them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static void write_adj(pid_t pid, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
}

/* Touches new anonymous memory, 1 MiB at a time, until killed. */
static void hog(void) {
    for (;;) {
        char *chunk = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (chunk == MAP_FAILED) continue; /* address space, not memory: retry */
        for (int page = 0; page < 256; page++) chunk[page * 4096] = 1;
    }
}

static pid_t spawn(void (*body)(void)) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        body();
        _exit(0);
    }
    return pid;
}

/* Keeps working (a pipe round trip and a small allocation each time)
 * while the hog runs, then finishes normally. */
static void worker(void) {
    int p[2];
    if (pipe(p) != 0) _exit(2);
    for (int i = 0; i < 2000; i++) {
        char byte = (char)i, back;
        if (write(p[1], &byte, 1) != 1 || read(p[0], &back, 1) != 1 || back != byte) _exit(3);
        char *small = malloc(256);
        if (small == NULL) _exit(4);
        memset(small, i, 256);
        free(small);
        if (i % 100 == 0) usleep(10000);
    }
    _exit(0);
}

static void sleeper(void) {
    for (;;) pause();
}

/* Whether the kernel log's "Killed process <first> (" comes before its
 * "Killed process <second> (". */
static int kill_logged_before(pid_t first, pid_t second) {
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    CHECK(fd >= 0);
    char record[8192], first_text[48], second_text[48];
    snprintf(first_text, sizeof first_text, "Killed process %d (", first);
    snprintf(second_text, sizeof second_text, "Killed process %d (", second);
    int seen_first = 0;
    for (;;) {
        ssize_t n = read(fd, record, sizeof record - 1);
        if (n < 0 && errno == EPIPE) continue;
        if (n <= 0) break;
        record[n] = 0;
        if (strstr(record, first_text)) seen_first = 1;
        if (strstr(record, second_text)) {
            close(fd);
            return seen_first;
        }
    }
    close(fd);
    return 0;
}

static void expect_killed(pid_t pid) {
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGKILL);
}

int main(void) {
    /* The files, as on Linux: 0 by default, the score on its 0..1333 scale. */
    CHECK_EQ(read_number("/proc/self/oom_score_adj"), 0);
    long score = read_number("/proc/self/oom_score");
    CHECK(score > 0 && score <= 1333);

    long free_before = meminfo_kb("MemFree");

    /* 1. The hog dies; the worker, small, finishes. */
    pid_t working = spawn(worker);
    pid_t greedy = spawn(hog);
    expect_killed(greedy);
    int status;
    CHECK_EQ(waitpid(working, &status, 0), working);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);

    /* 2. oom_score_adj 1000 makes a small sleeper the first choice: it is
     * killed while the hog still runs, then the hog goes. */
    pid_t willing = spawn(sleeper);
    write_adj(willing, "1000\n");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", willing);
    CHECK_EQ(read_number(path), 1000);
    snprintf(path, sizeof path, "/proc/%d/oom_score", willing);
    CHECK(read_number(path) >= 1300); /* near the top: Linux shows 1329 */
    greedy = spawn(hog);
    expect_killed(willing);
    expect_killed(greedy);
    /* The kernel log names them in that order. */
    CHECK(kill_logged_before(willing, greedy));

    /* 3. Out-of-range values are refused; a child inherits the value. */
    write_adj(getpid(), "5");
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "1001", 4), -1);
    CHECK_EQ(errno, EINVAL);
    close(fd);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) _exit(read_number("/proc/self/oom_score_adj") == 5 ? 0 : 1);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    write_adj(getpid(), "0");

    /* Everything the hogs held came back. */
    long free_after = meminfo_kb("MemFree");
    printf("MemFree %ld kB before, %ld kB after\n", free_before, free_after);
    CHECK(free_before - free_after < 2048);
    return 0;
}

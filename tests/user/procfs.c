/* /proc/<pid> follows the process lifecycle: readable while the child
 * lives and as a zombie, gone (ESRCH through an open file, ENOENT by name)
 * once it is reaped. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static void on_usr1(int sig) { (void)sig; }

/* The hex mask on the `field` line of /proc/self/status. */
static unsigned long long status_mask(const char *field) {
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    close(fd);
    char *line = strstr(buf, field);
    CHECK(line != NULL);
    return strtoull(line + strlen(field), NULL, 16);
}

/* SigIgn, SigCgt and SigBlk show the dispositions and the mask, and the
 * ignored set survives exec (a shell run by this process sees it). */
static void signal_masks_show(void) {
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    struct sigaction action = {.sa_handler = on_usr1};
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, NULL), 0);
    CHECK(status_mask("SigIgn:\t") & (1ULL << (SIGPIPE - 1)));
    CHECK(status_mask("SigCgt:\t") & (1ULL << (SIGUSR1 - 1)));
    CHECK(status_mask("SigBlk:\t") & (1ULL << (SIGUSR2 - 1)));
    pid_t child = fork();
    if (child == 0) {
        int out = open("/tmp/procfs-sigign", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        execl("/bin/sh", "sh", "-c", "grep SigIgn /proc/self/status", (char *)NULL);
        _exit(127);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char line[64] = {0};
    int in = open("/tmp/procfs-sigign", O_RDONLY);
    CHECK(read(in, line, sizeof line - 1) > 0);
    close(in);
    unlink("/tmp/procfs-sigign");
    CHECK(strtoull(line + strlen("SigIgn:\t"), NULL, 16) & (1ULL << (SIGPIPE - 1)));
    signal(SIGPIPE, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    CHECK_EQ(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : 0;
}

/* make-it-fail (where the kernel has fault injection) takes 0 or 1, root
 * only, and a child forked while it is set inherits it. */
static void make_it_fail_is_inherited(void) {
    if (access("/proc/self/make-it-fail", F_OK) != 0) return;
    long was = read_number("/proc/self/make-it-fail");
    CHECK_EQ(write_text("/proc/self/make-it-fail", "2"), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(write_text("/proc/self/make-it-fail", "1\n"), 0);
    CHECK_EQ(read_number("/proc/self/make-it-fail"), 1);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (read_number("/proc/self/make-it-fail") != 1) _exit(1);
        /* Without CAP_SYS_RESOURCE (a user other than root), a write
         * through a file opened before is refused: EPERM. */
        int fd = open("/proc/self/make-it-fail", O_WRONLY);
        if (fd < 0 || setuid(65534) != 0) _exit(2);
        if (write(fd, "0", 1) != -1 || errno != EPERM) _exit(3);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(status, 0);
    CHECK_EQ(write_text("/proc/self/make-it-fail", was ? "1" : "0"), 0);
}

int main(void) {
    signal_masks_show();
    make_it_fail_is_inherited();
    char path[64], buffer[4096];
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/status", child);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    CHECK(n > 0);
    buffer[n] = 0;
    char expected[32];
    snprintf(expected, sizeof expected, "Pid:\t%d\n", child);
    CHECK(strstr(buffer, expected) != NULL);
    CHECK(strstr(buffer, "PPid:") != NULL);

    /* A zombie is still there, in state Z. */
    kill(child, SIGKILL);
    siginfo_t info;
    CHECK_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
    int zombie = open(path, O_RDONLY);
    CHECK(zombie >= 0);
    n = read(zombie, buffer, sizeof buffer - 1);
    CHECK(n > 0);
    buffer[n] = 0;
    CHECK(strstr(buffer, "State:\tZ (zombie)") != NULL);

    /* Reaped: the open file says ESRCH, the name is gone. */
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buffer, sizeof buffer), -1);
    CHECK_EQ(errno, ESRCH);
    CHECK_EQ(open(path, O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);

    /* Our own cmdline is NUL-separated argv. */
    int self = open("/proc/self/cmdline", O_RDONLY);
    CHECK(self >= 0);
    n = read(self, buffer, sizeof buffer);
    CHECK(n > 0);
    CHECK(buffer[n - 1] == 0);
    CHECK(strstr(buffer, "procfs") != NULL);
    return 0;
}

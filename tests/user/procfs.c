/* /proc/<pid> follows the process lifecycle: readable while the child
 * lives and as a zombie, gone (ESRCH through an open file, ENOENT by name)
 * once it is reaped. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void) {
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

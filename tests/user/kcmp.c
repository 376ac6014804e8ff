/* kcmp: file descriptions shared through dup and fork and not through a
 * second open; a forked child's own memory and tables; a thread's shared
 * ones; a vfork child's shared memory; an epoll instance's target; the
 * order of two different objects read both ways; Linux's errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4
#define KCMP_EPOLL_TFD 7

struct kcmp_epoll_slot {
    uint32_t efd, tfd, toff;
};

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

/* Two different objects: one orders before the other, read both ways. */
static int ordered(long forward, long backward) {
    return (forward == 1 && backward == 2) || (forward == 2 && backward == 1);
}

static pid_t main_pid;
static void *thread_checks(void *arg) {
    (void)arg;
    pid_t me = (pid_t)syscall(SYS_gettid);
    CHECK(me != main_pid);
    CHECK_EQ(kcmp(me, main_pid, KCMP_VM, 0, 0), 0);
    CHECK_EQ(kcmp(me, main_pid, KCMP_FILES, 0, 0), 0);
    CHECK_EQ(kcmp(me, main_pid, KCMP_SIGHAND, 0, 0), 0);
    CHECK_EQ(kcmp(me, main_pid, KCMP_FS, 0, 0), 0);
    return NULL;
}

int main(void) {
    main_pid = getpid();
    int fd = open("/", O_RDONLY);
    CHECK(fd >= 0);
    int copy = dup(fd);
    int again = open("/", O_RDONLY);
    CHECK(copy >= 0 && again >= 0);
    CHECK_EQ(kcmp(main_pid, main_pid, KCMP_FILE, fd, copy), 0);
    CHECK(ordered(kcmp(main_pid, main_pid, KCMP_FILE, fd, again),
                  kcmp(main_pid, main_pid, KCMP_FILE, again, fd)));
    errno = 0;
    CHECK_EQ(kcmp(main_pid, main_pid, KCMP_FILE, fd, 1000), -1);
    CHECK_EQ(errno, EBADF);

    /* A forked child: the inherited description is the same, the memory
     * and the descriptor table are its own. */
    int gate[2];
    CHECK_EQ(pipe(gate), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char byte;
        close(gate[1]);
        _exit(read(gate[0], &byte, 1) == 0 ? 0 : 1);
    }
    CHECK_EQ(kcmp(main_pid, child, KCMP_FILE, fd, fd), 0);
    CHECK(ordered(kcmp(main_pid, child, KCMP_VM, 0, 0), kcmp(child, main_pid, KCMP_VM, 0, 0)));
    CHECK(ordered(kcmp(main_pid, child, KCMP_FILES, 0, 0),
                  kcmp(child, main_pid, KCMP_FILES, 0, 0)));
    close(gate[1]);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A thread shares everything with the main thread. */
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, thread_checks, NULL), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);

    /* A vfork child runs in its parent's memory until it exits. */
    child = vfork();
    CHECK(child >= 0);
    if (child == 0) {
        long same = kcmp(getppid(), getpid(), KCMP_VM, 0, 0);
        _exit(same == 0 ? 0 : 10 + (int)same);
    }
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);

    /* An epoll instance's target, named by descriptor number and rank. */
    int ends[2];
    CHECK_EQ(pipe(ends), 0);
    int epfd = epoll_create1(0);
    CHECK(epfd >= 0);
    struct epoll_event event = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(epfd, EPOLL_CTL_ADD, ends[0], &event), 0);
    struct kcmp_epoll_slot slot = {.efd = epfd, .tfd = ends[0], .toff = 0};
    CHECK_EQ(kcmp(main_pid, main_pid, KCMP_EPOLL_TFD, ends[0], (unsigned long)&slot), 0);
    CHECK(kcmp(main_pid, main_pid, KCMP_EPOLL_TFD, ends[1], (unsigned long)&slot) > 0);
    slot.toff = 1;
    errno = 0;
    CHECK_EQ(kcmp(main_pid, main_pid, KCMP_EPOLL_TFD, ends[0], (unsigned long)&slot), -1);
    CHECK_EQ(errno, ENOENT);
    slot = (struct kcmp_epoll_slot){.efd = fd, .tfd = ends[0], .toff = 0};
    errno = 0;
    CHECK_EQ(kcmp(main_pid, main_pid, KCMP_EPOLL_TFD, ends[0], (unsigned long)&slot), -1);
    CHECK_EQ(errno, EINVAL);

    errno = 0;
    CHECK_EQ(kcmp(main_pid, main_pid, 8, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(kcmp(main_pid, 999999, KCMP_VM, 0, 0), -1);
    CHECK_EQ(errno, ESRCH);

    puts("kcmp: ok");
    return 0;
}

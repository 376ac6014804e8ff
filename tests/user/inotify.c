/* inotify: a directory watch names its entries' creation, writes, closes,
 * renames (paired by cookie) and removal; a file watch sees its own
 * attributes, its last link going (IN_DELETE_SELF, IN_IGNORED); reads
 * take whole events; the descriptor works with poll, epoll, FIONREAD and
 * a blocking read a writer wakes; errors as Linux's. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

struct seen {
    int wd;
    uint32_t mask, cookie;
    char name[64];
};

/* Reads what is queued (the descriptor is non-blocking) into `out`. */
static int drain(int fd, struct seen *out, int max) {
    char buf[4096] __attribute__((aligned(8)));
    int count = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            CHECK_EQ(errno, EAGAIN);
            return count;
        }
        for (char *at = buf; at < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)at;
            CHECK(count < max);
            out[count].wd = e->wd;
            out[count].mask = e->mask;
            out[count].cookie = e->cookie;
            CHECK_EQ(e->len % sizeof(struct inotify_event), 0);
            snprintf(out[count].name, sizeof out[count].name, "%s", e->len ? e->name : "");
            count++;
            at += sizeof *e + e->len;
        }
    }
}

#define EXPECT(s, w, m, n)                                   \
    do {                                                     \
        CHECK_EQ((s).wd, (w));                               \
        CHECK_EQ((s).mask, (m));                             \
        if (strcmp((s).name, (n)) != 0) {                    \
            fprintf(stderr, "name %s != %s\n", (s).name, n); \
            exit(1);                                         \
        }                                                    \
    } while (0)

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    CHECK_EQ(close(fd), 0);
}

int main(void) {
    char dir[] = "/tmp/inotify-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], other[128];
    struct seen s[32];

    /* Errors before anything is watched. */
    CHECK_EQ(inotify_init1(0x1), -1);
    CHECK_EQ(errno, EINVAL);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0);
    CHECK_EQ(fcntl(in, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    CHECK_EQ(inotify_add_watch(in, dir, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(inotify_add_watch(0x7fff, dir, IN_CREATE), -1);
    CHECK_EQ(errno, EBADF);
    int not_inotify = open(dir, O_RDONLY);
    CHECK_EQ(inotify_add_watch(not_inotify, dir, IN_CREATE), -1);
    CHECK_EQ(errno, EINVAL);
    close(not_inotify);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ(inotify_add_watch(in, path, IN_CREATE), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(inotify_rm_watch(in, 12345), -1);
    CHECK_EQ(errno, EINVAL);
    char small[8];
    CHECK_EQ(read(in, small, sizeof small), -1);
    CHECK_EQ(errno, EAGAIN);

    /* A directory's watch: entries come, change, move and go. */
    int wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
    CHECK(wd > 0);
    CHECK_EQ(inotify_add_watch(in, dir, IN_CREATE | IN_MASK_ADD), wd);
    snprintf(path, sizeof path, "%s/a", dir);
    write_file(path, "hello");
    snprintf(other, sizeof other, "%s/b", dir);
    CHECK_EQ(rename(path, other), 0);
    CHECK_EQ(unlink(other), 0);
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK_EQ(mkdir(path, 0755), 0);
    CHECK_EQ(rmdir(path), 0);
    int n = drain(in, s, 32);
    CHECK_EQ(n, 9);
    EXPECT(s[0], wd, IN_CREATE, "a");
    EXPECT(s[1], wd, IN_OPEN, "a");
    EXPECT(s[2], wd, IN_MODIFY, "a");
    EXPECT(s[3], wd, IN_CLOSE_WRITE, "a");
    EXPECT(s[4], wd, IN_MOVED_FROM, "a");
    EXPECT(s[5], wd, IN_MOVED_TO, "b");
    CHECK(s[4].cookie != 0 && s[4].cookie == s[5].cookie);
    EXPECT(s[6], wd, IN_DELETE, "b");
    EXPECT(s[7], wd, IN_CREATE | IN_ISDIR, "sub");
    EXPECT(s[8], wd, IN_DELETE | IN_ISDIR, "sub");
    CHECK_EQ(inotify_rm_watch(in, wd), 0);
    CHECK_EQ(drain(in, s, 32), 1);
    EXPECT(s[0], wd, IN_IGNORED, "");
    CHECK_EQ(inotify_rm_watch(in, wd), -1);
    CHECK_EQ(errno, EINVAL);

    /* A file's watch: its attributes, then its last name going. */
    snprintf(path, sizeof path, "%s/file", dir);
    write_file(path, "x");
    CHECK_EQ(inotify_add_watch(in, path, IN_MODIFY | IN_ONLYDIR), -1);
    CHECK_EQ(errno, ENOTDIR);
    int fw = inotify_add_watch(in, path, IN_ATTRIB | IN_DELETE_SELF | IN_CLOSE_NOWRITE);
    CHECK(fw > 0 && fw != wd);
    CHECK_EQ(chmod(path, 0600), 0);
    int rd = open(path, O_RDONLY);
    CHECK(rd >= 0);
    CHECK_EQ(close(rd), 0);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(drain(in, s, 32), 5);
    EXPECT(s[0], fw, IN_ATTRIB, "");
    EXPECT(s[1], fw, IN_CLOSE_NOWRITE, "");
    EXPECT(s[2], fw, IN_ATTRIB, "");
    EXPECT(s[3], fw, IN_DELETE_SELF, "");
    EXPECT(s[4], fw, IN_IGNORED, "");

    /* Readiness: poll, epoll and FIONREAD follow the queue; a read needs
     * room for the whole first event. */
    wd = inotify_add_watch(in, dir, IN_CREATE);
    struct pollfd p = {.fd = in, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 0), 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, got;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev), 0);
    snprintf(path, sizeof path, "%s/ready", dir);
    write_file(path, "");
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLIN);
    CHECK_EQ(epoll_wait(ep, &got, 1, 0), 1);
    CHECK_EQ(got.data.u32, 7);
    int queued = -1;
    CHECK_EQ(ioctl(in, FIONREAD, &queued), 0);
    CHECK_EQ(queued, (int)sizeof(struct inotify_event) + 16);
    CHECK_EQ(read(in, small, sizeof small), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(drain(in, s, 32), 1);
    EXPECT(s[0], wd, IN_CREATE, "ready");
    CHECK_EQ(epoll_wait(ep, &got, 1, 0), 0);

    /* A blocking read sleeps until a child creates a file. */
    int blocking = inotify_init();
    CHECK(blocking >= 0);
    int bw = inotify_add_watch(blocking, dir, IN_CREATE);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        usleep(200 * 1000);
        snprintf(path, sizeof path, "%s/late", dir);
        write_file(path, "");
        _exit(0);
    }
    char buf[256] __attribute__((aligned(8)));
    ssize_t got_bytes = read(blocking, buf, sizeof buf);
    CHECK_EQ(got_bytes, (ssize_t)sizeof(struct inotify_event) + 16);
    struct inotify_event *e = (struct inotify_event *)buf;
    CHECK_EQ(e->wd, bw);
    CHECK_EQ(e->mask, IN_CREATE);
    CHECK_EQ(strcmp(e->name, "late"), 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* FIONREAD on a pipe counts its bytes, from either end. */
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    CHECK_EQ(write(pipefd[1], "12345", 5), 5);
    CHECK_EQ(ioctl(pipefd[0], FIONREAD, &queued), 0);
    CHECK_EQ(queued, 5);
    CHECK_EQ(ioctl(pipefd[1], FIONREAD, &queued), 0);
    CHECK_EQ(queued, 5);

    /* The limits in /proc/sys/fs/inotify; a smaller max_queued_events
     * holds for instances made after it, which overflow with one
     * IN_Q_OVERFLOW. (A container may not let /proc/sys be written.) */
    long queued_max = read_number("/proc/sys/fs/inotify/max_queued_events");
    CHECK(queued_max > 0);
    CHECK(read_number("/proc/sys/fs/inotify/max_user_instances") > 0);
    CHECK(read_number("/proc/sys/fs/inotify/max_user_watches") > 0);
    if (on_courage()) CHECK_EQ(queued_max, 16384);
    int knob = open("/proc/sys/fs/inotify/max_queued_events", O_WRONLY);
    CHECK(knob >= 0 || !on_courage());
    if (knob >= 0 && write(knob, "4", 1) == 1) {
        int small = inotify_init1(IN_NONBLOCK);
        char restore[32];
        int len = snprintf(restore, sizeof restore, "%ld", queued_max);
        CHECK_EQ(pwrite(knob, restore, len, 0), len);
        int sw = inotify_add_watch(small, dir, IN_CREATE | IN_DELETE);
        for (int i = 0; i < 5; i++) {
            snprintf(path, sizeof path, "%s/many-%d", dir, i);
            write_file(path, "");
            CHECK_EQ(unlink(path), 0);
        }
        CHECK_EQ(drain(small, s, 32), 5);
        EXPECT(s[0], sw, IN_CREATE, "many-0");
        EXPECT(s[3], sw, IN_DELETE, "many-1");
        EXPECT(s[4], -1, IN_Q_OVERFLOW, "");
        close(small);
    }
    if (knob >= 0) close(knob);

    /* An unprivileged user cannot watch what it cannot read. */
    snprintf(path, sizeof path, "%s/secret", dir);
    write_file(path, "");
    CHECK_EQ(chmod(path, 0600), 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (getuid() == 0 && setuid(65534) != 0) _exit(2);
        int mine = inotify_init1(0);
        if (inotify_add_watch(mine, path, IN_MODIFY) != -1 || errno != EACCES) _exit(3);
        _exit(0);
    }
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);

    unlink(path);
    snprintf(path, sizeof path, "%s/ready", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/late", dir);
    unlink(path);
    CHECK_EQ(rmdir(dir), 0);
    return 0;
}

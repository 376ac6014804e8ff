/* Extended attributes on tmpfs: user. attributes set, read, listed and
 * removed by path, by link and by descriptor, with Linux's errors; a
 * trusted. one hidden from an unprivileged user. (Linux's tmpfs keeps
 * user. attributes since 6.6; on a host file system without them the
 * test has nothing to check.) */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    char path[] = "/tmp/xattr-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (setxattr(path, "user.colour", "blue", 4, 0) != 0) {
        CHECK(errno == ENOTSUP && !on_courage());
        unlink(path);
        return 0;
    }
    CHECK_EQ(setxattr(path, "user.colour", "red", 3, XATTR_CREATE), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(fsetxattr(fd, "user.size", "L", 1, XATTR_REPLACE), -1);
    CHECK_EQ(errno, ENODATA);
    CHECK_EQ(fsetxattr(fd, "user.size", "L", 1, 0), 0);

    char value[64];
    CHECK_EQ(getxattr(path, "user.colour", NULL, 0), 4);
    CHECK_EQ(getxattr(path, "user.colour", value, 3), -1);
    CHECK_EQ(errno, ERANGE);
    CHECK_EQ(fgetxattr(fd, "user.colour", value, sizeof value), 4);
    CHECK(memcmp(value, "blue", 4) == 0);

    /* The list holds both names, NUL-terminated, in some order. */
    char list[256];
    ssize_t len = listxattr(path, list, sizeof list);
    CHECK(len == (ssize_t)sizeof "user.colour" + (ssize_t)sizeof "user.size");
    int seen = 0;
    for (char *name = list; name < list + len; name += strlen(name) + 1) {
        seen += strcmp(name, "user.colour") == 0 || strcmp(name, "user.size") == 0;
    }
    CHECK_EQ(seen, 2);
    CHECK_EQ(flistxattr(fd, list, 3), -1);
    CHECK_EQ(errno, ERANGE);

    CHECK_EQ(removexattr(path, "user.colour"), 0);
    CHECK_EQ(getxattr(path, "user.colour", value, sizeof value), -1);
    CHECK_EQ(errno, ENODATA);
    CHECK_EQ(setxattr(path, "colour", "x", 1, 0), -1);
    CHECK_EQ(errno, ENOTSUP);

    /* A symlink itself takes none; through it, the target does. */
    char link[64];
    snprintf(link, sizeof link, "%s.link", path);
    CHECK_EQ(symlink(path, link), 0);
    CHECK_EQ(lsetxattr(link, "user.colour", "x", 1, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(getxattr(link, "user.size", value, sizeof value), 1);

    /* trusted. is root's: another user neither sees nor sets it. */
    if (getuid() == 0 && setxattr(path, "trusted.secret", "s", 1, 0) == 0) {
        CHECK_EQ(fchmod(fd, 0666), 0);
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) {
            CHECK_EQ(setuid(65534), 0);
            CHECK_EQ(getxattr(path, "trusted.secret", value, sizeof value), -1);
            CHECK_EQ(errno, ENODATA);
            CHECK_EQ(setxattr(path, "trusted.other", "o", 1, 0), -1);
            CHECK_EQ(errno, EPERM);
            char seen_list[256];
            ssize_t n = listxattr(path, seen_list, sizeof seen_list);
            CHECK(n == (ssize_t)sizeof "user.size");
            _exit(0);
        }
        int status;
        CHECK_EQ(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_EQ(unlink(link), 0);
    CHECK_EQ(unlink(path), 0);
    return 0;
}

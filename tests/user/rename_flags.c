/* renameat2's flags: RENAME_NOREPLACE refuses an existing name,
 * RENAME_EXCHANGE swaps two names (files, or a directory and a file in two
 * directories, with the link counts and `..` following), and what Linux
 * refuses is refused. Runs in the current directory (a tmpfs). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

static long rename2(const char *from, const char *to, unsigned flags) {
    return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    CHECK_EQ(close(fd), 0);
}

/* The file's whole (short) content, or "" if it cannot be read. */
static const char *get(const char *path) {
    static char text[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return "";
    long n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    return text;
}

static unsigned long nlink(const char *path) {
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    return st.st_nlink;
}

static unsigned long ino(const char *path) {
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    return st.st_ino;
}

/* The inode `..` names inside directory `path`, as its listing gives it. */
static unsigned long listed_parent(const char *path) {
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    unsigned long found = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, "..") == 0) found = entry->d_ino;
    }
    closedir(dir);
    return found;
}

int main(void) {
    /* A directory of this run's own: the musl and glibc builds of this
     * test run one after the other in the same directory. */
    char own[64];
    snprintf(own, sizeof own, "rename_flags.%d", (int)getpid());
    CHECK_EQ(mkdir(own, 0755), 0);
    CHECK_EQ(chdir(own), 0);
    put("a", "alpha");
    put("b", "beta");

    /* NOREPLACE: an existing name (even a link of the same file) stays. */
    errno = 0;
    CHECK_EQ(rename2("a", "b", RENAME_NOREPLACE), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(link("a", "a2"), 0);
    errno = 0;
    CHECK_EQ(rename2("a", "a2", RENAME_NOREPLACE), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(unlink("a2"), 0);
    CHECK(strcmp(get("b"), "beta") == 0);
    CHECK_EQ(rename2("a", "c", RENAME_NOREPLACE), 0);
    CHECK_EQ(access("a", F_OK), -1);
    CHECK(strcmp(get("c"), "alpha") == 0);

    /* EXCHANGE of two files. */
    CHECK_EQ(rename2("b", "c", RENAME_EXCHANGE), 0);
    CHECK(strcmp(get("b"), "alpha") == 0);
    CHECK(strcmp(get("c"), "beta") == 0);
    errno = 0;
    CHECK_EQ(rename2("b", "missing", RENAME_EXCHANGE), -1);
    CHECK_EQ(errno, ENOENT);

    /* Flags Linux refuses, whatever the names. */
    errno = 0;
    CHECK_EQ(rename2("b", "c", RENAME_EXCHANGE | RENAME_NOREPLACE), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(rename2("b", "c", 1u << 8), -1);
    CHECK_EQ(errno, EINVAL);

    /* A directory and a file in two directories swap places. */
    CHECK_EQ(mkdir("p", 0755), 0);
    CHECK_EQ(mkdir("q", 0755), 0);
    CHECK_EQ(mkdir("p/dir", 0755), 0);
    put("p/dir/inside", "in");
    put("q/file", "file");
    CHECK_EQ(nlink("p"), 3);
    CHECK_EQ(nlink("q"), 2);
    CHECK_EQ(rename2("p/dir", "q/file", RENAME_EXCHANGE), 0);
    CHECK_EQ(nlink("p"), 2);
    CHECK_EQ(nlink("q"), 3);
    CHECK(strcmp(get("q/file/inside"), "in") == 0);
    CHECK(strcmp(get("p/dir"), "file") == 0);
    CHECK_EQ(listed_parent("q/file"), ino("q"));

    /* Neither name may end up inside itself; a slash names a directory. */
    CHECK_EQ(mkdir("q/file/deep", 0755), 0);
    errno = 0;
    CHECK_EQ(rename2("q/file", "q/file/deep", RENAME_EXCHANGE), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(rename2("q/file/deep", "q/file", RENAME_EXCHANGE), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(rename2("b/", "c", RENAME_EXCHANGE), -1);
    CHECK_EQ(errno, ENOTDIR);
    CHECK_EQ(rename2("b", "q/file/", RENAME_EXCHANGE), 0);
    CHECK(strcmp(get("q/file"), "alpha") == 0);
    CHECK(strcmp(get("b/inside"), "in") == 0);
    CHECK_EQ(nlink("q"), 2);
    CHECK_EQ(listed_parent("b"), ino("."));

    puts("rename_flags: ok");
    return 0;
}

/* File names are bytes: names that are not UTF-8 (Latin-1, stray
 * continuation bytes, 0xff) are created, listed by getdents, found by
 * stat, renamed, used as symlink targets and working directories, and come
 * back byte for byte; a name made of the code points the kernel uses for
 * its own escapes is kept apart from the bytes they stand for. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "check.h"

/* Whether directory `dir` lists `name` exactly. */
static int lists(const char *dir, const char *name) {
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, name) == 0) found++;
    closedir(d);
    return found;
}

static void touch(const char *path) {
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, path, strlen(path)), (long)strlen(path));
    close(fd);
}

int main(void) {
    char base[] = "/tmp/names.XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    CHECK_EQ(chdir(base), 0);
    char expected[64];
    snprintf(expected, sizeof expected, "%s/dir\xe9", base);
    const char *latin1 = "caf\xe9";
    const char *stray = "\x80\xff-\xc3";
    touch(latin1);
    touch(stray);
    CHECK_EQ(lists(".", latin1), 1);
    CHECK_EQ(lists(".", stray), 1);
    struct stat st;
    CHECK_EQ(stat(latin1, &st), 0);
    CHECK_EQ(st.st_size, 4);
    /* The UTF-8 spelling of the same word is another name. */
    CHECK_EQ(stat("caf\xc3\xa9", &st), -1);
    CHECK_EQ(errno, ENOENT);

    /* U+10FF41 in UTF-8 is not the byte 'A' it might be mistaken for. */
    const char *escape_like = "\xf4\x8f\xbd\x81";
    touch(escape_like);
    CHECK_EQ(lists(".", escape_like), 1);
    CHECK_EQ(stat("A", &st), -1);
    CHECK_EQ(errno, ENOENT);
    touch("A");
    CHECK_EQ(lists(".", "A"), 1);
    CHECK_EQ(lists(".", escape_like), 1);

    CHECK_EQ(rename(latin1, "\xfe\xfd"), 0);
    CHECK_EQ(lists(".", "\xfe\xfd"), 1);
    CHECK_EQ(lists(".", latin1), 0);

    CHECK_EQ(symlink(stray, "link\xe9"), 0);
    char target[64];
    ssize_t n = readlink("link\xe9", target, sizeof target);
    CHECK_EQ(n, (long)strlen(stray));
    CHECK_EQ(memcmp(target, stray, n), 0);
    CHECK_EQ(stat("link\xe9", &st), 0);

    CHECK_EQ(mkdir("dir\xe9", 0755), 0);
    CHECK_EQ(chdir("dir\xe9"), 0);
    char cwd[128];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_EQ(strcmp(cwd, expected), 0);
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    char proc_path[64], via_proc[128];
    snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    n = readlink(proc_path, via_proc, sizeof via_proc - 1);
    CHECK(n > 0);
    via_proc[n] = 0;
    CHECK_EQ(strcmp(via_proc, expected), 0);
    close(fd);

    /* A Unix socket bound at a name that is not UTF-8. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, "sock\xff");
    CHECK_EQ(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
    CHECK_EQ(listen(s, 1), 0);
    CHECK_EQ(lists(".", "sock\xff"), 1);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
    close(c);
    close(s);
    CHECK_EQ(unlink("sock\xff"), 0);
    CHECK_EQ(chdir(".."), 0);
    CHECK_EQ(rmdir("dir\xe9"), 0);
    CHECK_EQ(unlink(stray), 0);
    CHECK_EQ(lists(".", stray), 0);
    /* Leave nothing behind: the musl and glibc runs share /tmp. */
    const char *left[] = {escape_like, "A", "\xfe\xfd", "link\xe9"};
    for (unsigned i = 0; i < sizeof left / sizeof *left; i++) CHECK_EQ(unlink(left[i]), 0);
    CHECK_EQ(chdir("/"), 0);
    CHECK_EQ(rmdir(base), 0);
    puts("names: ok");
    return 0;
}

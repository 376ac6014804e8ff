/* openat2: RESOLVE_BENEATH and RESOLVE_IN_ROOT keep the walk inside a
 * directory, RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS refuse links,
 * RESOLVE_NO_XDEV refuses mount crossings (into /proc), and struct
 * open_how is checked as strictly as Linux checks it. Runs in the current
 * directory (a tmpfs); the /proc checks run where /proc is mounted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10

struct how {
    uint64_t flags, mode, resolve;
};

static long openat2_sized(int dirfd, const char *path, uint64_t flags, uint64_t resolve,
                          size_t size) {
    /* Room for a larger struct, zero beyond the first version's fields. */
    uint64_t how[8] = {flags, 0, resolve};
    return syscall(SYS_openat2, dirfd, path, how, size);
}

static long openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
    return openat2_sized(dirfd, path, flags, resolve, sizeof(struct how));
}

/* The first bytes the descriptor reads, or "" (and the descriptor closed). */
static const char *first_bytes(long fd) {
    static char text[32];
    CHECK(fd >= 0);
    long n = read((int)fd, text, sizeof text - 1);
    close((int)fd);
    text[n > 0 ? n : 0] = 0;
    return text;
}

static void fails(long result, int expected, const char *what) {
    if (result != -1 || errno != expected) {
        fprintf(stderr, "%s: %ld, errno %d, expected %d\n", what, result, errno, expected);
        exit(1);
    }
}

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
    close(fd);
}

int main(void) {
    /* A directory of this run's own: the musl and glibc builds of this
     * test run one after the other in the same directory. */
    char own[64];
    snprintf(own, sizeof own, "openat2_test.%d", (int)getpid());
    CHECK_EQ(mkdir(own, 0755), 0);
    CHECK_EQ(chdir(own), 0);
    CHECK_EQ(mkdir("d", 0755), 0);
    CHECK_EQ(mkdir("d/sub", 0755), 0);
    put("d/sub/f", "inside");
    put("outside", "outside");
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char absolute[600];
    snprintf(absolute, sizeof absolute, "%s/outside", cwd);
    CHECK_EQ(symlink(absolute, "d/absolute"), 0);
    CHECK_EQ(symlink("../outside", "d/up"), 0);
    CHECK_EQ(symlink("sub/f", "d/relative"), 0);
    int d = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);

    /* BENEATH: inside is fine, every way out is EXDEV. */
    CHECK(strcmp(first_bytes(openat2(d, "sub/f", O_RDONLY, RESOLVE_BENEATH)), "inside") == 0);
    CHECK(strcmp(first_bytes(openat2(d, "sub/../relative", O_RDONLY, RESOLVE_BENEATH)), "inside") ==
          0);
    fails(openat2(d, "../outside", O_RDONLY, RESOLVE_BENEATH), EXDEV, "beneath ..");
    fails(openat2(d, absolute, O_RDONLY, RESOLVE_BENEATH), EXDEV, "beneath absolute path");
    fails(openat2(d, "absolute", O_RDONLY, RESOLVE_BENEATH), EXDEV, "beneath absolute link");
    fails(openat2(d, "up", O_RDONLY, RESOLVE_BENEATH), EXDEV, "beneath link up");
    CHECK(strcmp(first_bytes(openat2(d, "up", O_RDONLY, 0)), "outside") == 0);

    /* IN_ROOT: the directory is "/", and ".." stops there. */
    CHECK(strcmp(first_bytes(openat2(d, "/sub/f", O_RDONLY, RESOLVE_IN_ROOT)), "inside") == 0);
    CHECK(strcmp(first_bytes(openat2(d, "../../sub/f", O_RDONLY, RESOLVE_IN_ROOT)), "inside") == 0);
    fails(openat2(d, "absolute", O_RDONLY, RESOLVE_IN_ROOT), ENOENT, "in_root absolute link");

    /* NO_SYMLINKS: no link is followed; the link itself may be named. */
    fails(openat2(d, "relative", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP, "no symlinks");
    long link = openat2(d, "relative", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
    CHECK(link >= 0);
    close((int)link);

    /* Magic links and mount crossings, into /proc. */
    if (access("/proc/self/exe", F_OK) == 0) {
        fails(openat2(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP,
              "no magic links");
        int proc_self = open("/proc/self", O_RDONLY | O_DIRECTORY);
        CHECK(proc_self >= 0);
        fails(openat2(proc_self, "exe", O_RDONLY, RESOLVE_BENEATH), EXDEV, "magic link beneath");
        close(proc_self);
        fails(openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_XDEV), EXDEV,
              "no xdev into /proc");
        long plain = openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0);
        CHECK(plain >= 0);
        close((int)plain);
        puts("openat2: /proc checked");
    }

    /* struct open_how, as strictly as Linux reads it. */
    long bigger = openat2_sized(d, "sub/f", O_RDONLY, 0, 64);
    CHECK(bigger >= 0);
    close((int)bigger);
    uint64_t dirty[8] = {O_RDONLY, 0, 0, 0, 1};
    fails(syscall(SYS_openat2, d, "sub/f", dirty, sizeof dirty), E2BIG, "unknown field set");
    fails(openat2_sized(d, "sub/f", O_RDONLY, 0, 16), EINVAL, "smaller than version 0");
    fails(openat2(d, "sub/f", O_RDONLY | (1ull << 40), 0), EINVAL, "unknown flag");
    struct how with_mode = {O_RDONLY, 0644, 0};
    fails(syscall(SYS_openat2, d, "sub/f", &with_mode, sizeof with_mode), EINVAL,
          "mode without O_CREAT");
    fails(openat2(d, "sub/f", O_PATH | O_RDWR, 0), EINVAL, "O_PATH with O_RDWR");
    fails(openat2(d, "sub/f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL,
          "beneath and in_root");
    fails(openat2(d, "sub/f", O_RDONLY, 0x80), EINVAL, "unknown resolve flag");
    struct how create = {O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH};
    long created = syscall(SYS_openat2, d, "sub/new", &create, sizeof create);
    CHECK(created >= 0);
    close((int)created);
    struct stat st;
    CHECK_EQ(fstatat(d, "sub/new", &st, 0), 0);
    CHECK_EQ(st.st_mode & 0777, 0600 & ~umask(0));

    puts("openat2: ok");
    return 0;
}

/* The old getdents (struct linux_dirent, the type in each record's last
 * byte), readahead and sync_file_range, with the errors Linux gives. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

struct old_dirent {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
    char d_name[];
};

int main(void) {
    char dir[] = "/tmp/hints-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/file", dir);
    int file = open(path, O_CREAT | O_RDWR, 0644);
    CHECK(file >= 0);
    CHECK_EQ(write(file, "data", 4), 4);

    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    char buffer[4096];
    long n = syscall(SYS_getdents, fd, buffer, sizeof buffer);
    CHECK(n > 0);
    int seen = 0;
    for (long at = 0; at < n;) {
        struct old_dirent *entry = (struct old_dirent *)(buffer + at);
        unsigned char type = (unsigned char)buffer[at + entry->d_reclen - 1];
        if (strcmp(entry->d_name, "file") == 0) {
            CHECK_EQ(type, DT_REG);
            seen++;
        } else if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            CHECK_EQ(type, DT_DIR);
            seen++;
        }
        at += entry->d_reclen;
    }
    CHECK_EQ(seen, 3);
    CHECK_EQ(syscall(SYS_getdents, fd, buffer, sizeof buffer), 0);
    CHECK_EQ(syscall(SYS_getdents, file, buffer, sizeof buffer), -1);
    CHECK_EQ(errno, ENOTDIR);

    CHECK_EQ(readahead(file, 0, 4096), 0);
    CHECK_EQ(readahead(fd, 0, 4096), -1);
    CHECK_EQ(errno, EINVAL);
    int write_only = open(path, O_WRONLY);
    CHECK_EQ(readahead(write_only, 0, 4096), -1);
    CHECK_EQ(errno, EBADF);

    CHECK_EQ(sync_file_range(file, 0, 4, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                             SYNC_FILE_RANGE_WAIT_AFTER),
             0);
    CHECK_EQ(sync_file_range(file, 0, 4, 8), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(sync_file_range(file, -1, 4, 0), -1);
    CHECK_EQ(errno, EINVAL);
    int pipes[2];
    CHECK_EQ(pipe(pipes), 0);
    CHECK_EQ(sync_file_range(pipes[0], 0, 4, 0), -1);
    CHECK_EQ(errno, ESPIPE);

    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(rmdir(dir), 0);
    return 0;
}

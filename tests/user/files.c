/* Files in tmpfs: create, write, read, stat, rename, unlink, directories. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

int main(void) {
    CHECK_EQ(mkdir("/tmp/files-test", 0755), 0);
    CHECK_EQ(mkdir("/tmp/files-test", 0755), -1);
    CHECK_EQ(errno, EEXIST);
    int fd = open("/tmp/files-test/a", O_CREAT | O_EXCL | O_WRONLY, 0640);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "hello, world", 12), 12);
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
    CHECK_EQ(write(fd, "!", 1), 1);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(open("/tmp/files-test/a", O_CREAT | O_EXCL | O_WRONLY, 0640), -1);
    CHECK_EQ(errno, EEXIST);

    struct stat st;
    CHECK_EQ(stat("/tmp/files-test/a", &st), 0);
    CHECK_EQ(st.st_size, 101);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0640);
    CHECK_EQ(st.st_nlink, 1);

    fd = open("/tmp/files-test/a", O_RDONLY);
    char buffer[128];
    CHECK_EQ(read(fd, buffer, sizeof buffer), 101);
    CHECK_EQ(memcmp(buffer, "hello, world", 12), 0);
    CHECK_EQ(buffer[50], 0); /* the hole reads as zeros */
    CHECK_EQ(buffer[100], '!');
    CHECK_EQ(read(fd, buffer, sizeof buffer), 0);
    close(fd);

    CHECK_EQ(rename("/tmp/files-test/a", "/tmp/files-test/b"), 0);
    CHECK_EQ(stat("/tmp/files-test/a", &st), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(link("/tmp/files-test/b", "/tmp/files-test/c"), 0);
    CHECK_EQ(stat("/tmp/files-test/b", &st), 0);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_EQ(symlink("b", "/tmp/files-test/d"), 0);
    CHECK_EQ(readlink("/tmp/files-test/d", buffer, sizeof buffer), 1);

    int entries = 0;
    DIR *dir = opendir("/tmp/files-test");
    CHECK(dir != NULL);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) entries++;
    closedir(dir);
    CHECK_EQ(entries, 5); /* . .. b c d */

    CHECK_EQ(rmdir("/tmp/files-test"), -1);
    CHECK_EQ(errno, ENOTEMPTY);
    CHECK_EQ(unlink("/tmp/files-test/b"), 0);
    CHECK_EQ(unlink("/tmp/files-test/c"), 0);
    CHECK_EQ(unlink("/tmp/files-test/d"), 0);
    CHECK_EQ(rmdir("/tmp/files-test"), 0);
    return 0;
}

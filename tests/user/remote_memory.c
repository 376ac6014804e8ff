/* process_vm_readv/process_vm_writev between a parent and its child: the
 * parent reads the child's memory (which differs from its own after the
 * fork) and writes into it; the child sees the write. /proc/<pid>/mem
 * gives the same access as a file whose offsets are addresses. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static char secret[64] = "parent's copy";

int main(void) {
    int ready[2], done[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(done), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        strcpy(secret, "the child's own words");
        char c = 1;
        if (write(ready[1], &c, 1) != 1) _exit(2);
        if (read(done[0], &c, 1) != 1) _exit(3);
        /* The parent wrote here. */
        _exit(strcmp(secret, "written by the parent") == 0 ? 0 : 4);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);

    char buffer[64] = {0};
    struct iovec local = {buffer, sizeof buffer};
    struct iovec remote = {secret, sizeof secret};
    CHECK_EQ(process_vm_readv(child, &local, 1, &remote, 1, 0), (long)sizeof secret);
    CHECK(strcmp(buffer, "the child's own words") == 0);
    CHECK(strcmp(secret, "parent's copy") == 0);

    /* Two remote pieces into one local buffer. */
    char two[8] = {0};
    struct iovec one_local = {two, 7};
    struct iovec pieces[2] = {{secret, 3}, {secret + 12, 4}};
    CHECK_EQ(process_vm_readv(child, &one_local, 1, pieces, 2, 0), 7);
    CHECK(memcmp(two, "theown ", 7) == 0);

    /* An unmapped remote address: EFAULT. */
    struct iovec nowhere = {(void *)0x1000, 16};
    CHECK_EQ(process_vm_readv(child, &local, 1, &nowhere, 1, 0), -1);
    CHECK_EQ(errno, EFAULT);
    CHECK_EQ(process_vm_readv(child, &local, 1, &remote, 1, 1), -1);
    CHECK_EQ(errno, EINVAL);

    /* The same through /proc/<pid>/mem. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", child);
    int mem = open(path, O_RDWR);
    CHECK(mem >= 0);
    memset(buffer, 0, sizeof buffer);
    CHECK_EQ(pread(mem, buffer, 21, (off_t)(uintptr_t)secret), 21);
    CHECK(strcmp(buffer, "the child's own words") == 0);
    CHECK_EQ(pread(mem, buffer, 8, 0x1000), -1);
    CHECK_EQ(errno, EIO);
    CHECK_EQ(pwrite(mem, "THE", 3, (off_t)(uintptr_t)secret), 3);
    CHECK_EQ(pread(mem, buffer, 5, (off_t)(uintptr_t)secret), 5);
    CHECK(memcmp(buffer, "THE c", 5) == 0);
    CHECK_EQ(close(mem), 0);

    const char words[] = "written by the parent";
    struct iovec from = {(void *)words, sizeof words};
    struct iovec to = {secret, sizeof words};
    CHECK_EQ(process_vm_writev(child, &from, 1, &to, 1, 0), (long)sizeof words);
    CHECK_EQ(write(done[1], &c, 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    /* A process that is gone: ESRCH. */
    CHECK_EQ(process_vm_readv(child, &local, 1, &remote, 1, 0), -1);
    CHECK_EQ(errno, ESRCH);
    return 0;
}

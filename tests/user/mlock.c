/* Locking memory: mlock makes pages present and counts them in VmLck,
 * munlock takes them off, mlock2(MLOCK_ONFAULT) leaves pages to their
 * first touch, PROT_NONE and holes are ENOMEM, mlockall(MCL_FUTURE) makes
 * later mappings present, a child inherits no lock, MAP_POPULATE and
 * MAP_LOCKED fault a mapping in at once. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PAGE 4096
#define MLOCK_ONFAULT_FLAG 1

/* VmLck of this process, in kB. */
static long vm_locked_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1) {
            break;
        }
    }
    fclose(f);
    CHECK(kb >= 0);
    return kb;
}

/* How many of `pages` pages at `at` are present. */
static int present(void *at, int pages) {
    unsigned char vec[64];
    CHECK(pages <= 64);
    CHECK_EQ(mincore(at, (size_t)pages * PAGE, vec), 0);
    int count = 0;
    for (int i = 0; i < pages; i++) {
        count += vec[i] & 1;
    }
    return count;
}

static char *map(int pages, int prot, int extra) {
    char *at = mmap(NULL, (size_t)pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    CHECK(at != MAP_FAILED);
    return at;
}

int main(void) {
    long base = vm_locked_kb();
    char *memory = map(16, PROT_READ | PROT_WRITE, 0);
    CHECK_EQ(present(memory, 16), 0);
    CHECK_EQ(mlock(memory, 16 * PAGE), 0);
    CHECK_EQ(present(memory, 16), 16);
    CHECK_EQ(vm_locked_kb(), base + 64);
    /* An unaligned start takes its whole page; locking again adds none. */
    CHECK_EQ(mlock(memory + 100, PAGE), 0);
    CHECK_EQ(vm_locked_kb(), base + 64);
    CHECK_EQ(munlock(memory, 8 * PAGE), 0);
    CHECK_EQ(vm_locked_kb(), base + 32);

    /* A child inherits no lock. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        _exit(vm_locked_kb() == 0 ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(munlock(memory, 16 * PAGE), 0);
    CHECK_EQ(vm_locked_kb(), base);

    /* MLOCK_ONFAULT: locked, present only once touched. */
    char *on_fault = map(4, PROT_READ | PROT_WRITE, 0);
    CHECK_EQ(syscall(SYS_mlock2, on_fault, 4 * PAGE, MLOCK_ONFAULT_FLAG), 0);
    CHECK_EQ(present(on_fault, 4), 0);
    CHECK_EQ(vm_locked_kb(), base + 16);
    on_fault[PAGE] = 1;
    CHECK_EQ(present(on_fault, 4), 1);
    errno = 0;
    CHECK_EQ(syscall(SYS_mlock2, on_fault, PAGE, 2), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(munlock(on_fault, 4 * PAGE), 0);

    /* PROT_NONE cannot be made present; a hole is not mapped. */
    char *none = map(2, PROT_NONE, 0);
    errno = 0;
    CHECK_EQ(mlock(none, 2 * PAGE), -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(munlock(none, 2 * PAGE), 0);
    CHECK_EQ(munmap(none + PAGE, PAGE), 0);
    errno = 0;
    CHECK_EQ(mlock(none, 2 * PAGE), -1);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK_EQ(munlock(none, 2 * PAGE), -1);
    CHECK_EQ(errno, ENOMEM);

    /* mlockall: flags checked; MCL_FUTURE makes later mappings present. */
    errno = 0;
    CHECK_EQ(mlockall(0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(mlockall(MCL_FUTURE), 0);
    char *later = map(8, PROT_READ | PROT_WRITE, 0);
    CHECK_EQ(present(later, 8), 8);
    CHECK(vm_locked_kb() >= base + 32);
    CHECK_EQ(munlockall(), 0);
    CHECK_EQ(vm_locked_kb(), 0);
    char *after = map(8, PROT_READ | PROT_WRITE, 0);
    CHECK_EQ(present(after, 8), 0);

    /* MAP_POPULATE faults in without locking; MAP_LOCKED does both. */
    char *populated = map(8, PROT_READ | PROT_WRITE, MAP_POPULATE);
    CHECK_EQ(present(populated, 8), 8);
    CHECK_EQ(vm_locked_kb(), 0);
    char *locked = map(8, PROT_READ, MAP_LOCKED);
    CHECK_EQ(present(locked, 8), 8);
    CHECK_EQ(vm_locked_kb(), 32);
    return 0;
}

/* Core dumps: a child killed by SIGSEGV with RLIMIT_CORE above zero
 * leaves an ELF core named by /proc/sys/kernel/core_pattern, and the wait
 * status says "core dumped" exactly when the file was written. The core
 * holds the crashing thread's registers (NT_PRSTATUS), the process
 * (NT_PRPSINFO) and the mapped files (NT_FILE) where gdb looks for them. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define DIR "/tmp/coredump-test"

static volatile unsigned long null_address = 0;

static void set_pattern(const char *pattern) {
    int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, pattern, strlen(pattern)), (long)strlen(pattern));
    close(fd);
}

/* Forks a child that crashes in DIR with the given core limit (and
 * dumpable flag); returns its wait status and pid. */
static int crash(rlim_t limit, int dumpable, pid_t *pid) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct rlimit rl = {limit, limit};
        if (setrlimit(RLIMIT_CORE, &rl) != 0 || chdir(DIR) != 0) _exit(100);
        if (!dumpable) prctl(PR_SET_DUMPABLE, 0);
        *(volatile int *)null_address = 1;
        _exit(101);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGSEGV);
    *pid = child;
    return status;
}

static unsigned char core[1 << 20];

/* Reads the core at `path`; returns its length. */
static size_t read_core(const char *path) {
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0600);
    size_t got = 0;
    ssize_t n;
    while (got < sizeof core && (n = read(fd, core + got, sizeof core - got)) > 0) got += (size_t)n;
    close(fd);
    return got;
}

/* The descriptor of note number `index` (from 0) of `type` named "CORE"
 * (other owners number their types independently), or NULL. */
static const unsigned char *nth_note(size_t len, unsigned type, int index, size_t *size) {
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)core;
    for (int i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(core + eh->e_phoff + i * sizeof(Elf64_Phdr));
        if (ph->p_type != PT_NOTE) continue;
        CHECK(ph->p_offset + ph->p_filesz <= len);
        size_t at = ph->p_offset, end = ph->p_offset + ph->p_filesz;
        while (at + sizeof(Elf64_Nhdr) <= end) {
            const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(core + at);
            size_t desc = at + sizeof *nh + ((nh->n_namesz + 3) & ~3u);
            int ours = nh->n_namesz == 5 && memcmp(core + at + sizeof *nh, "CORE", 5) == 0;
            if (ours && nh->n_type == type && index-- == 0) {
                *size = nh->n_descsz;
                return core + desc;
            }
            at = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
    return NULL;
}

/* The descriptor of the first note of `type`, or NULL. */
static const unsigned char *find_note(size_t len, unsigned type, size_t *size) {
    return nth_note(len, type, 0, size);
}

static void *blocker(void *arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

/* A child with two more threads, blocked in pause(), crashes. */
static pid_t crash_threaded(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        if (setrlimit(RLIMIT_CORE, &rl) != 0 || chdir(DIR) != 0) _exit(100);
        pthread_t threads[2];
        for (int i = 0; i < 2; i++)
            if (pthread_create(&threads[i], NULL, blocker, NULL) != 0) _exit(102);
        usleep(100 * 1000);
        *(volatile int *)null_address = 1;
        _exit(101);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV && WCOREDUMP(status));
    return child;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "threaded-crash") == 0) {
        /* For the host's gdb: crash here, with two more threads. */
        pthread_t threads[2];
        for (int i = 0; i < 2; i++) CHECK_EQ(pthread_create(&threads[i], NULL, blocker, NULL), 0);
        usleep(100 * 1000);
        *(volatile int *)null_address = 1;
    }
    mkdir(DIR, 0777);
    set_pattern("core");

    /* The default limit of 0: no core, no "core dumped". */
    pid_t pid;
    int status = crash(0, 1, &pid);
    CHECK(!WCOREDUMP(status));
    CHECK_EQ(access(DIR "/core", F_OK), -1);

    /* Not dumpable: none either. */
    status = crash(RLIM_INFINITY, 0, &pid);
    CHECK(!WCOREDUMP(status));
    CHECK_EQ(access(DIR "/core", F_OK), -1);

    /* With a limit: `core` in the working directory. */
    status = crash(RLIM_INFINITY, 1, &pid);
    CHECK(WCOREDUMP(status));
    size_t len = read_core(DIR "/core");
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)core;
    CHECK(len > sizeof *eh);
    CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
    CHECK_EQ(eh->e_type, ET_CORE);
    CHECK_EQ(eh->e_machine, EM_X86_64);

    size_t size;
    const unsigned char *prstatus = find_note(len, NT_PRSTATUS, &size);
    CHECK(prstatus != NULL);
    CHECK_EQ(size, 336);
    CHECK_EQ(*(const short *)(prstatus + 12), SIGSEGV); /* pr_cursig */
    CHECK_EQ(*(const int *)(prstatus + 32), pid);       /* pr_pid */
    /* pr_reg's rip (index 16) is in this program's text. */
    uint64_t rip = *(const uint64_t *)(prstatus + 112 + 16 * 8);
    CHECK(rip != 0);

    const unsigned char *psinfo = find_note(len, NT_PRPSINFO, &size);
    CHECK(psinfo != NULL);
    CHECK_EQ(*(const int *)(psinfo + 24), pid);
    CHECK(strncmp((const char *)psinfo + 40, "coredump", 8) == 0);

    const unsigned char *files = find_note(len, NT_FILE, &size);
    CHECK(files != NULL);
    CHECK(*(const uint64_t *)files >= 1);
    char self[256] = {0};
    CHECK(readlink("/proc/self/exe", self, sizeof self - 1) > 0);
    CHECK(memmem(files, size, self, strlen(self)) != NULL);
    CHECK(find_note(len, NT_SIGINFO, &size) != NULL && size == 128);
    CHECK(find_note(len, NT_AUXV, &size) != NULL && size >= 16);
    CHECK(find_note(len, NT_PRFPREG, &size) != NULL && size == 512);
    CHECK_EQ(unlink(DIR "/core"), 0);

    /* Every thread has its registers in the core, the crashing one first. */
    pid = crash_threaded();
    len = read_core(DIR "/core");
    int tids[3];
    for (int i = 0; i < 3; i++) {
        prstatus = nth_note(len, NT_PRSTATUS, i, &size);
        CHECK(prstatus != NULL && size == 336);
        tids[i] = *(const int *)(prstatus + 32);
        CHECK(*(const uint64_t *)(prstatus + 112 + 16 * 8) != 0); /* rip */
        CHECK(*(const uint64_t *)(prstatus + 112 + 19 * 8) != 0); /* rsp */
        CHECK(nth_note(len, NT_PRFPREG, i, &size) != NULL && size == 512);
    }
    CHECK_EQ(*(const short *)(nth_note(len, NT_PRSTATUS, 0, &size) + 12), SIGSEGV);
    CHECK_EQ(tids[0], pid);
    CHECK(tids[1] != pid && tids[2] != pid && tids[1] != tids[2]);
    CHECK(nth_note(len, NT_PRSTATUS, 3, &size) == NULL);
    CHECK_EQ(unlink(DIR "/core"), 0);

    /* The pattern names the file: %e the command, %p the pid, %s the signal. */
    set_pattern(DIR "/%e.%p.%s");
    status = crash(RLIM_INFINITY, 1, &pid);
    CHECK(WCOREDUMP(status));
    char name[128];
    snprintf(name, sizeof name, DIR "/coredump.%d.11", pid);
    CHECK(read_core(name) > 0);
    CHECK_EQ(unlink(name), 0);

    /* A core that would not fit the limit's first page is not written. */
    status = crash(100, 1, &pid);
    CHECK(!WCOREDUMP(status));
    snprintf(name, sizeof name, DIR "/coredump.%d.11", pid);
    CHECK_EQ(access(name, F_OK), -1);

    set_pattern("core");
    return 0;
}

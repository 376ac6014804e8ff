/* The vDSO: AT_SYSINFO_EHDR names an ELF shared object exporting
 * __vdso_clock_gettime & co. (version LINUX_2.6); its answers agree with
 * the system calls' (never behind one read before, never ahead of one read
 * after); clocks it cannot answer fall back to the kernel with the kernel's
 * errors; and libc's clock_gettime, gettimeofday and time make no system
 * call at all (counted with ptrace). */
#define _GNU_SOURCE
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static const Elf64_Ehdr *vdso;

/* The symbol's address, looked up through the dynamic section and the
 * DT_HASH table, checking the version as libc does. */
static void *vdso_sym(const char *name) {
    const Elf64_Phdr *ph = (const void *)((const char *)vdso + vdso->e_phoff);
    uintptr_t base = 0;
    const Elf64_Dyn *dyn = NULL;
    int loads = 0;
    for (int i = 0; i < vdso->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !loads++)
            base = (uintptr_t)vdso + ph[i].p_offset - ph[i].p_vaddr;
        else if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const void *)((const char *)vdso + ph[i].p_offset);
    }
    CHECK(loads >= 1 && dyn != NULL);
    const char *strtab = NULL;
    const Elf64_Sym *symtab = NULL;
    const Elf32_Word *hash = NULL;
    const Elf64_Half *versym = NULL;
    const Elf64_Verdef *verdef = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        void *p = (void *)(base + dyn->d_un.d_ptr);
        switch (dyn->d_tag) {
        case DT_STRTAB: strtab = p; break;
        case DT_SYMTAB: symtab = p; break;
        case DT_HASH: hash = p; break;
        case DT_VERSYM: versym = p; break;
        case DT_VERDEF: verdef = p; break;
        }
    }
    CHECK(strtab && symtab && hash && versym && verdef);
    for (Elf32_Word i = 0; i < hash[1]; i++) {
        if (ELF64_ST_TYPE(symtab[i].st_info) != STT_FUNC || !symtab[i].st_shndx)
            continue;
        if (strcmp(strtab + symtab[i].st_name, name))
            continue;
        const Elf64_Verdef *def = verdef;
        for (;;) {
            if (!(def->vd_flags & VER_FLG_BASE) && (def->vd_ndx & 0x7fff) == (versym[i] & 0x7fff)) {
                const Elf64_Verdaux *aux = (const void *)((const char *)def + def->vd_aux);
                if (!strcmp(strtab + aux->vda_name, "LINUX_2.6"))
                    return (void *)(base + symtab[i].st_value);
                break;
            }
            if (!def->vd_next) break;
            def = (const void *)((const char *)def + def->vd_next);
        }
    }
    return NULL;
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static struct timespec sys_clock(clockid_t clock) {
    struct timespec t;
    CHECK_EQ(syscall(SYS_clock_gettime, clock, &t), 0);
    return t;
}

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*clock_getres_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

static void check_ordered(clock_gettime_fn get, clockid_t clock) {
    for (int i = 0; i < 1000; i++) {
        struct timespec before = sys_clock(clock), mid, after;
        CHECK_EQ(get(clock, &mid), 0);
        after = sys_clock(clock);
        CHECK(mid.tv_nsec >= 0 && mid.tv_nsec < 1000000000);
        if (ns(before) > ns(mid) || ns(mid) > ns(after)) {
            fprintf(stderr, "clock %d: %lld %lld %lld\n", (int)clock, ns(before), ns(mid), ns(after));
            exit(1);
        }
    }
}

/* libc's time functions, under ptrace: no clock system call may stop. */
static void count_clock_syscalls(void) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        struct timespec t;
        struct timeval tv;
        for (int i = 0; i < 100; i++) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            clock_gettime(CLOCK_REALTIME, &t);
        }
        for (int i = 0; i < 10; i++) {
            gettimeofday(&tv, NULL);
            (void)time(NULL);
        }
        syscall(SYS_getppid); /* the marker: tracing saw system calls */
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    CHECK_EQ(ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD), 0);
    int clock_calls = 0, marker = 0;
    for (;;) {
        CHECK_EQ(ptrace(PTRACE_SYSCALL, child, 0, 0), 0);
        CHECK_EQ(waitpid(child, &status, 0), child);
        if (WIFEXITED(status)) break;
        CHECK(WIFSTOPPED(status));
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) continue;
        struct user_regs_struct regs;
        CHECK_EQ(ptrace(PTRACE_GETREGS, child, 0, &regs), 0);
        switch (regs.orig_rax) {
        case SYS_clock_gettime: case SYS_gettimeofday: case SYS_time:
            clock_calls++;
            break;
        case SYS_getppid:
            marker++;
            break;
        }
    }
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(marker, 2); /* entry and exit */
    CHECK_EQ(clock_calls, 0);
}

int main(void) {
    vdso = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
    CHECK(vdso != NULL);
    CHECK(!memcmp(vdso->e_ident, ELFMAG, SELFMAG));
    CHECK_EQ(vdso->e_type, ET_DYN);

    clock_gettime_fn get = vdso_sym("__vdso_clock_gettime");
    clock_getres_fn getres = vdso_sym("__vdso_clock_getres");
    gettimeofday_fn gtod = vdso_sym("__vdso_gettimeofday");
    time_fn get_time = vdso_sym("__vdso_time");
    getcpu_fn getcpu_v = vdso_sym("__vdso_getcpu");
    CHECK(get && getres && gtod && get_time && getcpu_v);
    CHECK(vdso_sym("clock_gettime") == (void *)get); /* the weak alias */
    CHECK(vdso_sym("__vdso_no_such_function") == NULL);

    check_ordered(get, CLOCK_MONOTONIC);
    check_ordered(get, CLOCK_REALTIME);
    check_ordered(get, CLOCK_BOOTTIME);
    check_ordered(get, CLOCK_MONOTONIC_RAW);

    /* Clocks the page cannot answer go to the kernel, errors included. */
    struct timespec t;
    CHECK_EQ(get(CLOCK_PROCESS_CPUTIME_ID, &t), 0);
    CHECK(t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    CHECK_EQ(get(1000, &t), -EINVAL);
    CHECK_EQ(getres(1000, &t), -EINVAL);
    CHECK_EQ(getres(CLOCK_MONOTONIC, &t), 0);
    CHECK_EQ(t.tv_sec, 0);
    CHECK(t.tv_nsec >= 1 && t.tv_nsec <= 1000);

    struct timeval tv;
    struct timespec before = sys_clock(CLOCK_REALTIME);
    CHECK_EQ(gtod(&tv, NULL), 0);
    time_t seconds = get_time(NULL), stored = 0;
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    CHECK(tv.tv_sec >= before.tv_sec && tv.tv_sec <= before.tv_sec + 1);
    CHECK(seconds >= tv.tv_sec && seconds <= tv.tv_sec + 1);
    CHECK_EQ(get_time(&stored), stored);

    unsigned cpu = 999, node = 999;
    CHECK_EQ(getcpu_v(&cpu, &node, NULL), 0);
    CHECK(cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
    CHECK_EQ(node, 0);
    CHECK_EQ(getcpu_v(NULL, NULL, NULL), 0);

    /* Setting the wall clock moves the vDSO's realtime with it (root). */
    if (geteuid() == 0) {
        struct timespec now = sys_clock(CLOCK_REALTIME), later = now, seen;
        later.tv_sec += 1000;
        if (clock_settime(CLOCK_REALTIME, &later) == 0) {
            int got = get(CLOCK_REALTIME, &seen);
            struct timespec back = sys_clock(CLOCK_REALTIME);
            back.tv_sec -= 1000;
            clock_settime(CLOCK_REALTIME, &back);
            CHECK_EQ(got, 0);
            CHECK(seen.tv_sec >= later.tv_sec && seen.tv_sec <= later.tv_sec + 5);
        }
    }

    count_clock_syscalls();
    printf("vdso ok\n");
    return 0;
}

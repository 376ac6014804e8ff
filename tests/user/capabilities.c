/* Capabilities: capget and capset with Linux's versions and rules; root's
 * sets follow its uids (set*id, PR_SET_KEEPCAPS) and execve (bounding and
 * ambient sets); and the kernel's checks use them: a root process without
 * CAP_DAC_OVERRIDE cannot read another user's private file, one without
 * CAP_KILL cannot signal another user's process, a uid-1000 process with
 * CAP_DAC_OVERRIDE can. Runs as root (skips otherwise). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define V1 0x19980330
#define V3 0x20080522
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_KILL 5
#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_RAW 13
#define CAP_SYS_TIME 25
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#endif

struct header { uint32_t version; int pid; };
struct data { uint32_t effective, permitted, inheritable; };
struct sets { uint64_t effective, permitted, inheritable; };

static long capget_raw(struct header *h, struct data *d) { return syscall(SYS_capget, h, d); }
static long capset_raw(struct header *h, struct data *d) { return syscall(SYS_capset, h, d); }

static struct sets get_sets(int pid) {
    struct header h = {V3, pid};
    struct data d[2];
    CHECK_EQ(capget_raw(&h, d), 0);
    struct sets s = {
        d[0].effective | (uint64_t)d[1].effective << 32,
        d[0].permitted | (uint64_t)d[1].permitted << 32,
        d[0].inheritable | (uint64_t)d[1].inheritable << 32,
    };
    return s;
}

static int set_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct header h = {V3, 0};
    struct data d[2] = {
        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
    };
    return (int)capset_raw(&h, d);
}

#define BIT(cap) ((uint64_t)1 << (cap))

/* Runs `body` in a child; checks it exits 0. */
static void in_child(void (*body)(void)) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

static char secret[64];
static char self_path[256];

static void without_dac_override_a_private_file_is_closed(void) {
    struct sets s = get_sets(0);
    uint64_t dac = BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH);
    CHECK_EQ(set_sets(s.effective & ~dac, s.permitted, 0), 0);
    CHECK_EQ(open(secret, O_RDONLY), -1);
    CHECK_EQ(errno, EACCES);
    /* Still permitted: it may come back. */
    CHECK_EQ(set_sets(s.effective, s.permitted, 0), 0);
    int fd = open(secret, O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
    /* Gone from the permitted set, it may not. */
    CHECK_EQ(set_sets(s.effective & ~dac, s.permitted & ~dac, 0), 0);
    CHECK_EQ(set_sets(s.effective, s.permitted, 0), -1);
    CHECK_EQ(errno, EPERM);
}

static pid_t other_user;

static void without_cap_kill_another_users_process_is_out_of_reach(void) {
    CHECK_EQ(kill(other_user, 0), 0);
    struct sets s = get_sets(0);
    CHECK_EQ(set_sets(s.effective & ~BIT(CAP_KILL), s.permitted, 0), 0);
    CHECK_EQ(kill(other_user, 0), -1);
    CHECK_EQ(errno, EPERM);
}

static void keepcaps_keeps_the_permitted_set_across_setuid(void) {
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
    CHECK_EQ(setresuid(1000, 1000, 1000), 0);
    struct sets s = get_sets(0);
    CHECK_EQ(s.effective, 0);
    CHECK(s.permitted & BIT(CAP_DAC_OVERRIDE));
    CHECK_EQ(open(secret, O_RDONLY), -1);
    CHECK_EQ(errno, EACCES);
    CHECK_EQ(set_sets(BIT(CAP_DAC_OVERRIDE), s.permitted, 0), 0);
    int fd = open(secret, O_RDONLY);
    CHECK(fd >= 0);
    close(fd);
}

static void setuid_without_keepcaps_drops_everything(void) {
    CHECK_EQ(setuid(1000), 0);
    struct sets s = get_sets(0);
    CHECK_EQ(s.effective, 0);
    CHECK_EQ(s.permitted, 0);
    CHECK_EQ(setuid(0), -1);
    CHECK_EQ(errno, EPERM);
}

static void exec_respects_the_bounding_set(void) {
    CHECK_EQ(prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0), 0);
    /* Still effective until the next exec. */
    CHECK(get_sets(0).effective & BIT(CAP_SYS_TIME));
    execl(self_path, self_path, "bounded", (char *)NULL);
    CHECK(!"exec failed");
}

static void ambient_capabilities_reach_an_unprivileged_program(void) {
    uint64_t bind = BIT(CAP_NET_BIND_SERVICE);
    CHECK_EQ(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
    CHECK_EQ(setresuid(1000, 1000, 1000), 0);
    CHECK_EQ(set_sets(bind, bind, bind), 0);
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), -1);
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0), 0);
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 1);
    execl(self_path, self_path, "ambient", (char *)NULL);
    CHECK(!"exec failed");
}

/* After exec: the checks the re-executed program makes. */
static int after_exec(const char *what) {
    struct sets s = get_sets(0);
    if (strcmp(what, "bounded") == 0) {
        CHECK(!(s.permitted & BIT(CAP_SYS_TIME)));
        CHECK(s.effective & BIT(CAP_KILL));
        CHECK_EQ(s.effective, s.permitted);
    } else {
        CHECK_EQ(getuid(), 1000);
        CHECK_EQ(s.effective, BIT(CAP_NET_BIND_SERVICE));
        CHECK_EQ(s.permitted, BIT(CAP_NET_BIND_SERVICE));
        CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2) return after_exec(argv[1]);
    if (getuid() != 0) return 0;
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    CHECK(n > 0);
    self_path[n] = 0;

    /* The version probe: an unknown version is answered with the one
     * preferred, 0 with no data, EINVAL with. */
    struct header h = {0, 0};
    CHECK_EQ(capget_raw(&h, NULL), 0);
    CHECK_EQ(h.version, V3);
    struct data d[2];
    h.version = 0x1234;
    CHECK_EQ(capget_raw(&h, d), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(h.version, V3);
    h.version = V3;
    h.pid = -1;
    CHECK_EQ(capget_raw(&h, d), -1);
    CHECK_EQ(errno, EINVAL);
    h.pid = 0x3ffffff0;
    CHECK_EQ(capget_raw(&h, d), -1);
    CHECK_EQ(errno, ESRCH);

    /* Root holds every capability (a container on Linux may hold fewer);
     * version 1 sees the low word. */
    struct sets root = get_sets(0);
    if (on_courage()) CHECK_EQ(root.effective, 0x1ffffffffffull);
    CHECK_EQ(root.effective, root.permitted);
    CHECK(root.effective & BIT(CAP_DAC_OVERRIDE) && root.effective & BIT(CAP_KILL));
    struct header v1 = {V1, getpid()};
    struct data one[2] = {{0, 0, 0}, {7, 7, 7}};
    CHECK_EQ(capget_raw(&v1, one), 0);
    CHECK_EQ(one[0].effective, (uint32_t)root.effective);
    CHECK_EQ(one[1].effective, 7);
    char line[128];
    snprintf(line, sizeof line, "CapEff:\t%016llx\n", (unsigned long long)root.effective);
    FILE *status = fopen("/proc/self/status", "r");
    CHECK(status != NULL);
    char buf[256];
    int found = 0;
    while (fgets(buf, sizeof buf, status)) found |= strcmp(buf, line) == 0;
    fclose(status);
    CHECK(found);
    CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
    CHECK_EQ(prctl(PR_CAPBSET_READ, 999, 0, 0, 0), -1);
    CHECK_EQ(errno, EINVAL);

    /* capset acts on the caller only. */
    h.version = V3;
    h.pid = getppid();
    d[0] = d[1] = (struct data){0, 0, 0};
    CHECK_EQ(capset_raw(&h, d), -1);
    CHECK_EQ(errno, EPERM);

    snprintf(secret, sizeof secret, "/tmp/capabilities-%d", getpid());
    int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(chown(secret, 1234, 1234), 0);

    other_user = fork();
    CHECK(other_user >= 0);
    if (other_user == 0) {
        if (setuid(1234) != 0) _exit(1);
        for (;;) pause();
    }

    in_child(without_dac_override_a_private_file_is_closed);
    in_child(without_cap_kill_another_users_process_is_out_of_reach);
    in_child(keepcaps_keeps_the_permitted_set_across_setuid);
    in_child(setuid_without_keepcaps_drops_everything);
    in_child(exec_respects_the_bounding_set);
    in_child(ambient_capabilities_reach_an_unprivileged_program);

    CHECK_EQ(kill(other_user, SIGKILL), 0);
    CHECK_EQ(waitpid(other_user, NULL, 0), other_user);
    CHECK_EQ(unlink(secret), 0);
    /* The parent kept everything. */
    CHECK_EQ(get_sets(0).effective, root.effective);
    return 0;
}

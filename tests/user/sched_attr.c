/* sched_setattr and sched_getattr: policies, nice values and real-time
 * priorities set through one structure and read back through it and the
 * older calls; the size rules (E2BIG with the kernel's size written
 * back), the flags (RESET_ON_FORK, KEEP_POLICY, KEEP_PARAMS) and the
 * errors, as Linux 6.1. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
};

static long set_attr(struct attr *a, unsigned flags) { return syscall(SYS_sched_setattr, 0, a, flags); }
static long get_attr(struct attr *a, unsigned size) { return syscall(SYS_sched_getattr, 0, a, size, 0); }
/* musl's sched_getscheduler and sched_getparam are stubs (ENOSYS). */
static long policy_now(void) { return syscall(SYS_sched_getscheduler, 0); }
static int priority_now(void) {
    struct sched_param p;
    CHECK_EQ(syscall(SYS_sched_getparam, 0, &p), 0);
    return p.sched_priority;
}

int main(void) {
    struct attr a;
    memset(&a, 0, sizeof a);
    CHECK_EQ(get_attr(&a, sizeof a), 0);
    CHECK_EQ(a.size, sizeof a);
    CHECK_EQ(a.policy, SCHED_OTHER);
    CHECK_EQ(get_attr(&a, 40), -1);
    CHECK_EQ(errno, EINVAL);

    /* A batch policy with nice 5: the old calls see it. */
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.policy = SCHED_BATCH;
    a.nice = 5;
    CHECK_EQ(set_attr(&a, 0), 0);
    CHECK_EQ(policy_now(), SCHED_BATCH);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
    memset(&a, 0xff, sizeof a);
    CHECK_EQ(get_attr(&a, sizeof a), 0);
    CHECK_EQ(a.policy, SCHED_BATCH);
    CHECK_EQ(a.nice, 5);
    CHECK_EQ(a.priority, 0);

    /* Version 0 (48 bytes), and size 0 meaning version 0. */
    memset(&a, 0, sizeof a);
    a.size = 0;
    a.policy = SCHED_OTHER;
    a.nice = 7;
    CHECK_EQ(set_attr(&a, 0), 0);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 7);
    memset(&a, 0xaa, sizeof a);
    CHECK_EQ(get_attr(&a, 48), 0);
    CHECK_EQ(a.size, 48);
    CHECK_EQ(a.util_min, 0xaaaaaaaau);

    /* Sizes: too small, or larger with a stray byte, is E2BIG and the
     * kernel's size comes back; larger and zero-filled is fine. */
    struct { struct attr a; uint64_t more; } big;
    memset(&big, 0, sizeof big);
    big.a.size = 40;
    CHECK_EQ(set_attr(&big.a, 0), -1);
    CHECK_EQ(errno, E2BIG);
    CHECK_EQ(big.a.size, sizeof(struct attr));
    big.a.size = sizeof big;
    big.a.policy = SCHED_OTHER;
    big.a.nice = 7;
    CHECK_EQ(set_attr(&big.a, 0), 0);
    big.more = 1;
    CHECK_EQ(set_attr(&big.a, 0), -1);
    CHECK_EQ(errno, E2BIG);
    CHECK_EQ(big.a.size, sizeof(struct attr));

    /* Errors. */
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    CHECK_EQ(set_attr(&a, 1), -1);
    CHECK_EQ(errno, EINVAL);
    a.policy = 77;
    CHECK_EQ(set_attr(&a, 0), -1);
    CHECK_EQ(errno, EINVAL);
    a.policy = SCHED_OTHER;
    a.priority = 3;
    CHECK_EQ(set_attr(&a, 0), -1);
    CHECK_EQ(errno, EINVAL);
    a.priority = 0;
    a.flags = 0x100;
    CHECK_EQ(set_attr(&a, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(syscall(SYS_sched_setattr, 0, NULL, 0), -1);
    CHECK_EQ(errno, EINVAL);

    if (geteuid() == 0) {
        /* Real time with RESET_ON_FORK; KEEP_POLICY changes only the
         * priority, KEEP_PARAMS only the flags. */
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.policy = SCHED_FIFO;
        a.priority = 10;
        a.flags = 1;
        CHECK_EQ(set_attr(&a, 0), 0);
        CHECK_EQ(policy_now(), SCHED_FIFO | SCHED_RESET_ON_FORK);
        memset(&a, 0, sizeof a);
        CHECK_EQ(get_attr(&a, sizeof a), 0);
        CHECK_EQ(a.policy, SCHED_FIFO);
        CHECK_EQ(a.flags, 1);
        CHECK_EQ(a.priority, 10);
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.flags = 0x08;
        a.priority = 20;
        CHECK_EQ(set_attr(&a, 0), 0);
        CHECK_EQ(policy_now(), SCHED_FIFO | SCHED_RESET_ON_FORK);
        CHECK_EQ(priority_now(), 20);
        /* KEEP_PARAMS changes only the flags: the policy it names is
         * checked against the thread's priority, then left. */
        a.flags = 0x10;
        a.policy = SCHED_RR;
        a.priority = 0;
        CHECK_EQ(set_attr(&a, 0), 0);
        CHECK_EQ(priority_now(), 20);
        CHECK_EQ(policy_now(), SCHED_FIFO);
        /* Back to normal, and a lower nice value is allowed for root. */
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.nice = -3;
        CHECK_EQ(set_attr(&a, 0), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), -3);
    }
    return 0;
}

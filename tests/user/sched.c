/* The sched_* policy calls: priority ranges, setting and reading back a
 * thread's policy and priority, the errors Linux gives, and the interval
 * sched_rr_get_interval reports. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* musl's wrappers say ENOSYS on purpose (the calls are per thread): go
 * to the kernel directly. */
#define sched_getscheduler(pid) ((int)syscall(SYS_sched_getscheduler, pid))
#define sched_setscheduler(pid, policy, param) ((int)syscall(SYS_sched_setscheduler, pid, policy, param))
#define sched_getparam(pid, param) ((int)syscall(SYS_sched_getparam, pid, param))
#define sched_setparam(pid, param) ((int)syscall(SYS_sched_setparam, pid, param))

int main(void) {
    CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
    CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
    CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
    errno = 0;
    CHECK_EQ(sched_get_priority_max(42), -1);
    CHECK_EQ(errno, EINVAL);

    CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
    struct sched_param param = {.sched_priority = 0};
    CHECK_EQ(sched_setscheduler(0, SCHED_BATCH, &param), 0);
    CHECK_EQ(sched_getscheduler(0), SCHED_BATCH);
    CHECK_EQ(sched_setscheduler(getpid(), SCHED_IDLE, &param), 0);
    CHECK_EQ(sched_getscheduler(getpid()), SCHED_IDLE);
    param.sched_priority = 5;
    errno = 0;
    CHECK_EQ(sched_setscheduler(0, SCHED_OTHER, &param), -1); /* OTHER takes 0 */
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(sched_setscheduler(0, 77, &param), -1);
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK_EQ(sched_getscheduler(999999), -1);
    CHECK_EQ(errno, ESRCH);

    /* Real-time needs privilege: root gets it (a container may refuse). */
    param.sched_priority = 10;
    if (sched_setscheduler(0, SCHED_RR, &param) == 0) {
        CHECK_EQ(sched_getscheduler(0), SCHED_RR);
        struct sched_param got;
        CHECK_EQ(sched_getparam(0, &got), 0);
        CHECK_EQ(got.sched_priority, 10);
        param.sched_priority = 20;
        CHECK_EQ(sched_setparam(0, &param), 0);
        CHECK_EQ(sched_getparam(0, &got), 0);
        CHECK_EQ(got.sched_priority, 20);
        struct timespec slice;
        CHECK_EQ(sched_rr_get_interval(0, &slice), 0);
        CHECK(slice.tv_sec == 0 && slice.tv_nsec > 0);
        param.sched_priority = 0;
        CHECK_EQ(sched_setscheduler(0, SCHED_OTHER, &param), 0);
    } else {
        CHECK_EQ(errno, EPERM);
    }
    int policy = sched_getscheduler(0);
    CHECK(policy == SCHED_OTHER || policy == SCHED_IDLE);
    return 0;
}

/* A signal to a process group reaches every member, even one forked
 * while the signal was being sent: a ^C must not leave a child running.
 * A leader forks without pause (each child sleeps); the group gets
 * SIGKILL at varying moments, and then nobody may be left in it. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static void sleep_us(long us) {
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* Whether anyone is left in group `pgid` after `ms` milliseconds; the
 * orphans are ours to reap (we are their subreaper). */
static int group_lingers(pid_t pgid, int ms) {
    for (int i = 0; i < ms; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (kill(-pgid, 0) != 0 && errno == ESRCH) return 0;
        sleep_us(1000);
    }
    return 1;
}

int main(void) {
    CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    for (int trial = 0; trial < 30; trial++) {
        pid_t leader = fork();
        CHECK(leader >= 0);
        if (leader == 0) {
            setpgid(0, 0);
            for (;;) {
                pid_t child = fork();
                if (child == 0) {
                    for (;;) pause();
                }
                /* Reaps nothing: the children live until the kill. */
            }
        }
        setpgid(leader, leader);
        sleep_us(500 + (trial % 7) * 700);
        CHECK_EQ(kill(-leader, SIGKILL), 0);
        int status;
        CHECK_EQ(waitpid(leader, &status, 0), leader);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* The killed orphans come to us to reap; a survivor stays. */
        if (group_lingers(leader, 3000)) {
            fprintf(stderr, "trial %d: a child forked during the kill survived it\n", trial);
            kill(-leader, SIGKILL);
            return 1;
        }
    }
    return 0;
}

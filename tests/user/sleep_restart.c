/* A sleep that a stop interrupts goes on, once continued, to the deadline
 * it had: nanosleep does not return early, nor sleep its whole length
 * again (Linux restarts it through restart_syscall with the time left).
 * A handler that runs ends it with EINTR and the time left. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "timed_waits.h"

static void on_usr1(int signal) { (void)signal; }

int main(void) {
    /* Stopped 0.2 s into a 1 s sleep, continued 0.5 s later: the sleep
     * ends about 0.3 s after SIGCONT, not 1 s after it. */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct timespec request = {1, 0}, left = {0, 0};
        _exit(nanosleep(&request, &left) == 0 ? 0 : 10);
    }
    int status;
    double after = stop_then_continue(child, 0.2, 0.5, &status);
    CHECK_EQ(status, 0);
    if (after > 0.7) {
        fprintf(stderr, "the sleep ran %.2f s after SIGCONT (its deadline was 0.3 s away)\n",
                after);
        return 1;
    }

    /* A handler ends the sleep: EINTR and the time left. */
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART; /* no restart for sleeps, even so */
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    pid_t sender = signal_later(getpid(), SIGUSR1, 0.2);
    struct timespec request = {2, 0}, left = {0, 0};
    errno = 0;
    CHECK_EQ(nanosleep(&request, &left), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(left.tv_sec >= 1 && left.tv_sec <= 2);
    reap_ok(sender);
    return 0;
}

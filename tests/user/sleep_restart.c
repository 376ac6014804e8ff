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

static int one_second_sleep(void) {
    struct timespec request = {1, 0}, left = {0, 0};
    return nanosleep(&request, &left) == 0 ? 0 : 10;
}

int main(void) {
    /* Stopped 0.2 s into a 1 s sleep, continued 0.5 s later: the sleep
     * ends about 0.3 s after SIGCONT, neither at once nor 1 s after it. */
    check_stopped_wait_keeps_deadline("nanosleep", one_second_sleep);

    /* A handler ends the sleep: EINTR and the time left. */
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART; /* no restart for sleeps, even so */
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    pid_t sender = signal_later(getpid(), SIGUSR1, 0.2);
    struct timespec request = {5, 0}, left = {0, 0};
    errno = 0;
    double began = monotonic_seconds();
    CHECK_EQ(nanosleep(&request, &left), -1);
    double slept = monotonic_seconds() - began;
    CHECK_EQ(errno, EINTR);
    /* What was left, as measured here (a slow sender moves it). */
    double said = (double)left.tv_sec + (double)left.tv_nsec / 1e9;
    CHECK(said < 4.9 && said > 5.0 - slept - 0.05 && said < 5.0 - slept + 0.05);
    reap_ok(sender);
    return 0;
}

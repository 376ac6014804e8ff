/* A sleep that a stop interrupts goes on, once continued, to the deadline
 * it had: nanosleep does not return early, nor sleep its whole length
 * again (Linux restarts it through restart_syscall with the time left).
 * A handler that runs ends it with EINTR and the time left. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double now(void) {
    struct timespec t;
    CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &t), 0);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_for(double seconds) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    while (nanosleep(&t, &t) != 0) {
    }
}

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
    sleep_for(0.2);
    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status));
    sleep_for(0.5);
    double continued = now();
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    double after = now() - continued;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
    pid_t parent = getpid();
    pid_t sender = fork();
    CHECK(sender >= 0);
    if (sender == 0) {
        sleep_for(0.2);
        _exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    struct timespec request = {2, 0}, left = {0, 0};
    errno = 0;
    CHECK_EQ(nanosleep(&request, &left), -1);
    CHECK_EQ(errno, EINTR);
    CHECK(left.tv_sec >= 1 && left.tv_sec <= 2);
    CHECK_EQ(waitpid(sender, &status, 0), sender);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

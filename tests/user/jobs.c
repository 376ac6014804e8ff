/* Job control: SIGSTOP/SIGCONT seen by wait4 with WUNTRACED/WCONTINUED and
 * by SIGCHLD, signals to a process group, setsid/setpgid, core flags. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static volatile int chld_codes[8];
static volatile int chld_count;
static void on_chld(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    if (chld_count < 8) chld_codes[chld_count++] = info->si_code;
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    pid_t child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    int status;
    CHECK_EQ(kill(child, SIGSTOP), 0);
    CHECK_EQ(waitpid(child, &status, WUNTRACED), child);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(WSTOPSIG(status), SIGSTOP);
    CHECK_EQ(kill(child, SIGCONT), 0);
    CHECK_EQ(waitpid(child, &status, WCONTINUED), child);
    CHECK(WIFCONTINUED(status));
    CHECK_EQ(kill(child, SIGTERM), 0);
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(chld_count >= 3);
    CHECK_EQ(chld_codes[0], CLD_STOPPED);
    CHECK_EQ(chld_codes[1], CLD_CONTINUED);
    CHECK_EQ(chld_codes[2], CLD_KILLED);

    /* A group of three children, killed with one kill(-pgid). */
    pid_t leader = fork();
    if (leader == 0) {
        setpgid(0, 0);
        for (;;) pause();
    }
    setpgid(leader, leader);
    pid_t members[2];
    for (int i = 0; i < 2; i++) {
        members[i] = fork();
        if (members[i] == 0) {
            setpgid(0, leader);
            for (;;) pause();
        }
        setpgid(members[i], leader);
    }
    CHECK_EQ(getpgid(members[0]), leader);
    CHECK_EQ(kill(-leader, SIGUSR1), 0);
    for (int i = 0; i < 3; i++) {
        pid_t done = wait(&status);
        CHECK(done == leader || done == members[0] || done == members[1]);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
    }

    /* SIGQUIT's default action dumps core: WCOREDUMP is set. */
    child = fork();
    if (child == 0) {
        /* Linux dumps (and reports) core only when RLIMIT_CORE allows it. */
        struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &unlimited);
        chdir("/tmp");
        signal(SIGQUIT, SIG_DFL);
        raise(SIGQUIT);
        _exit(0);
    }
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGQUIT);
    CHECK(WCOREDUMP(status));

    /* setsid in a child that is not a group leader makes a new session. */
    child = fork();
    if (child == 0) {
        pid_t sid = setsid();
        CHECK_EQ(sid, getpid());
        CHECK_EQ(getsid(0), getpid());
        CHECK_EQ(getpgrp(), getpid());
        _exit(0);
    }
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

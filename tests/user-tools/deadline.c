/*
 * deadline SECONDS PROGRAM [ARG...]: runs PROGRAM with SIGALRM due in
 * SECONDS, so a test that waits for ever is killed without a watcher
 * process. The test runner uses it under fault injection, where a
 * watcher's own fork or exec may fail and leave the test unbounded;
 * this needs neither (the alarm survives exec). A test that sets its
 * own alarm replaces the cap, as it would replace any alarm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: deadline SECONDS PROGRAM [ARG...]\n");
        return 125;
    }
    unsigned seconds = (unsigned)strtoul(argv[1], NULL, 10);
    if (seconds == 0) {
        fprintf(stderr, "deadline: SECONDS must be a positive number\n");
        return 125;
    }
    alarm(seconds);
    execv(argv[2], argv + 2);
    perror("deadline: exec");
    return 126;
}

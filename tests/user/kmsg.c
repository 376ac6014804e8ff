/* /dev/kmsg: the kernel log as one record per read, "pri,seq,usec,-;text",
 * sequence numbers increasing by one, a written "<N>text" line coming back
 * as a record at level N, EINVAL for a buffer too small for a record,
 * EAGAIN at the end when non-blocking, and SEEK_END/SEEK_SET. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include "check.h"

/* Parses a record's prefix; returns the text after ';'. */
static const char *parse(const char *record, unsigned *priority, unsigned long long *sequence) {
    unsigned long long usec;
    char flag;
    int used = 0;
    CHECK_EQ(sscanf(record, "%u,%llu,%llu,%c%n", priority, sequence, &usec, &flag, &used), 4);
    const char *text = record + used;
    CHECK(*text == ';' || *text == ',');
    text = strchr(text, ';');
    CHECK(text != NULL);
    return text + 1;
}

int main(void) {
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    CHECK(fd >= 0);
    char record[8192];
    unsigned priority;
    unsigned long long sequence, previous = 0;
    int records = 0;
    for (;;) {
        ssize_t n = read(fd, record, sizeof record - 1);
        if (n < 0 && errno == EPIPE) continue; /* overwritten while reading */
        if (n < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        CHECK(n > 0 && record[n - 1] == '\n');
        record[n] = 0;
        parse(record, &priority, &sequence);
        if (records > 0) CHECK(sequence > previous);
        previous = sequence;
        records++;
    }
    CHECK(records > 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 0), 0);

    int out = open("/dev/kmsg", O_WRONLY);
    CHECK(out >= 0);
    const char line[] = "<5>courage kmsg test line\n";
    CHECK_EQ(write(out, line, sizeof line - 1), (ssize_t)(sizeof line - 1));
    close(out);
    /* The written line comes back, at level 5, with the next numbers. */
    int found = 0;
    for (int tries = 0; tries < 200 && !found; tries++) {
        ssize_t n = read(fd, record, sizeof record - 1);
        if (n < 0) {
            CHECK(errno == EAGAIN || errno == EPIPE);
            usleep(5000);
            continue;
        }
        record[n] = 0;
        const char *text = parse(record, &priority, &sequence);
        CHECK(sequence > previous);
        previous = sequence;
        if (strncmp(text, "courage kmsg test line", 22) == 0) {
            CHECK_EQ(priority & 7, 5);
            found = 1;
        }
    }
    CHECK(found);

    /* A buffer too small for a record: EINVAL. From the start again. */
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    char tiny[4];
    errno = 0;
    CHECK_EQ(read(fd, tiny, sizeof tiny), -1);
    CHECK_EQ(errno, EINVAL);
    /* SEEK_END: nothing left to read. */
    CHECK_EQ(lseek(fd, 0, SEEK_END), 0);
    errno = 0;
    CHECK_EQ(read(fd, record, sizeof record), -1);
    CHECK_EQ(errno, EAGAIN);
    close(fd);
    return 0;
}

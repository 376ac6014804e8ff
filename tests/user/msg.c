/* System V message queues: typed messages between processes, senders and
 * receivers that wait, removal and signals ending their waits, as on
 * Linux. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

struct message {
    long mtype;
    char text[64];
};

static void send_text(int id, long type, const char *text) {
    struct message m = {.mtype = type};
    strcpy(m.text, text);
    CHECK_EQ(msgsnd(id, &m, strlen(text), 0), 0);
}

static long receive(int id, long type, int flags, char *text) {
    struct message m;
    ssize_t n = msgrcv(id, &m, sizeof m.text - 1, type, flags);
    if (n < 0) return -1;
    m.text[n] = 0;
    strcpy(text, m.text);
    return m.mtype;
}

static void pause_briefly(void) {
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static int child_status(pid_t child) {
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void messages_by_type(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    CHECK(id >= 0);
    send_text(id, 3, "three");
    send_text(id, 1, "one");
    send_text(id, 2, "two");
    send_text(id, 1, "uno");
    char text[64];
    CHECK_EQ(receive(id, 2, 0, text), 2);
    CHECK(strcmp(text, "two") == 0);
    CHECK_EQ(receive(id, 1, MSG_EXCEPT, text), 3);
    CHECK_EQ(receive(id, -5, 0, text), 1);
    CHECK(strcmp(text, "one") == 0);
    CHECK_EQ(receive(id, 0, 0, text), 1);
    CHECK(strcmp(text, "uno") == 0);
    errno = 0;
    CHECK_EQ(receive(id, 0, IPC_NOWAIT, text), -1);
    CHECK_EQ(errno, ENOMSG);

    send_text(id, 9, "a long message");
    struct message m;
    CHECK_EQ(msgrcv(id, &m, 4, 0, IPC_NOWAIT), -1);
    CHECK_EQ(errno, E2BIG);
    CHECK_EQ(msgrcv(id, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR), 4);
    CHECK(memcmp(m.text, "a lo", 4) == 0);

    /* /proc/sysvipc/msg lists it with its message. */
    send_text(id, 4, "listed");
    FILE *f = fopen("/proc/sysvipc/msg", "r");
    CHECK(f != NULL);
    char line[512];
    int listed = 0;
    while (fgets(line, sizeof line, f)) {
        int key, msqid;
        unsigned perms;
        long cbytes, qnum;
        if (sscanf(line, "%d %d %o %ld %ld", &key, &msqid, &perms, &cbytes, &qnum) == 5 &&
            msqid == id)
            listed = cbytes == 6 && qnum == 1 && perms == 0600;
    }
    fclose(f);
    CHECK(listed);
    CHECK_EQ(receive(id, 4, 0, text), 4);

    struct msqid_ds ds;
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_qnum, 0);
    CHECK_EQ(ds.msg_qbytes, 16384);
    CHECK_EQ(ds.msg_lspid, getpid());
    CHECK_EQ(ds.msg_lrpid, getpid());
    CHECK(ds.msg_stime > 0 && ds.msg_rtime > 0);
    m.mtype = 0;
    CHECK_EQ(msgsnd(id, &m, 1, 0), -1);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    CHECK_EQ(msgsnd(id, &m, 1, 0), -1);
    CHECK_EQ(errno, EINVAL);
}

/* A receiver waits for the sender, a sender for room; another process
 * finds the queue by key. */
static void waiting_on_both_sides(void) {
    key_t key = 0x6d736771;
    int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int mine = msgget(key, 0);
        char text[64];
        if (mine != id) _exit(2);
        if (receive(mine, 5, 0, text) != 5 || strcmp(text, "wake") != 0) _exit(3);
        /* Fill the queue, then wait for the parent to take one. */
        static struct message big = {.mtype = 1};
        for (int i = 0; i < 16384 / 64; i++)
            if (msgsnd(mine, &big, 64, IPC_NOWAIT) != 0) _exit(4);
        if (msgsnd(mine, &big, 64, IPC_NOWAIT) != -1 || errno != EAGAIN) _exit(5);
        if (msgsnd(mine, &big, 64, 0) != 0) _exit(6);
        _exit(0);
    }
    pause_briefly();
    send_text(id, 5, "wake");
    struct msqid_ds ds;
    do {
        pause_briefly();
        CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    } while (ds.msg_qnum < 16384 / 64);
    struct message m;
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 0, 0), 64);
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_qnum, 16384 / 64);
    CHECK_EQ(ds.msg_cbytes, 16384);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

static void on_alarm(int signal) { (void)signal; }

/* Removal wakes a waiter with EIDRM; a signal ends a wait with EINTR even
 * under SA_RESTART. */
static void waits_end_with_removal_or_a_signal(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    CHECK(id >= 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct message m;
        if (msgrcv(id, &m, sizeof m.text, 0, 0) != -1) _exit(2);
        _exit(errno == EIDRM ? 0 : 3);
    }
    pause_briefly();
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    CHECK_EQ(child_status(child), 0);

    id = msgget(IPC_PRIVATE, 0600);
    struct sigaction action = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    CHECK_EQ(sigaction(SIGALRM, &action, NULL), 0);
    alarm(1);
    struct message m;
    errno = 0;
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 0, 0), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

/* Permissions and the control commands. */
static void control(void) {
    int id = msgget(IPC_PRIVATE, 0640);
    CHECK(id >= 0);
    struct msqid_ds ds;
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    ds.msg_qbytes = 100;
    ds.msg_perm.mode = 0602;
    CHECK_EQ(msgctl(id, IPC_SET, &ds), 0);
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_qbytes, 100);
    CHECK_EQ(ds.msg_perm.mode & 0777, 0602);
    struct msginfo info;
    CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&info) >= 0);
    CHECK_EQ(info.msgmax, 8192);
    CHECK_EQ(info.msgmnb, 16384);
    CHECK(msgctl(0, MSG_INFO, (struct msqid_ds *)&info) >= 0);
    CHECK(info.msgpool >= 1);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        if (setgid(65534) || setuid(65534)) _exit(2);
        struct message m = {.mtype = 1};
        /* 0602: others may write, not read. */
        if (msgsnd(id, &m, 1, 0) != 0) _exit(3);
        if (msgrcv(id, &m, 1, 0, IPC_NOWAIT) != -1 || errno != EACCES) _exit(4);
        if (msgctl(id, IPC_RMID, NULL) != -1 || errno != EPERM) _exit(5);
        _exit(0);
    }
    CHECK_EQ(child_status(child), 0);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

int main(void) {
    messages_by_type();
    waiting_on_both_sides();
    waits_end_with_removal_or_a_signal();
    control();
    return 0;
}

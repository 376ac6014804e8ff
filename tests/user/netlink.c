/* The routing netlink interface as C libraries use it: getifaddrs and
 * if_nameindex find the loopback device with its addresses, and a raw
 * NETLINK_ROUTE socket gets a link dump that ends with NLMSG_DONE,
 * addressed to its own port id. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "check.h"

/* The kernel ABI, spelled out: musl ships no <linux/netlink.h>. */
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 0x1
#define NLM_F_DUMP 0x300
#define NLMSG_DONE 3
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
struct sockaddr_nl {
    unsigned short nl_family, nl_pad;
    unsigned int nl_pid, nl_groups;
};
struct nlmsghdr {
    unsigned int nlmsg_len;
    unsigned short nlmsg_type, nlmsg_flags;
    unsigned int nlmsg_seq, nlmsg_pid;
};
struct ifinfomsg {
    unsigned char ifi_family, ifi_pad;
    unsigned short ifi_type;
    int ifi_index;
    unsigned int ifi_flags, ifi_change;
};
#define NLMSG_ALIGN(len) (((len) + 3) & ~3)
#define NLMSG_DATA(h) ((void *)((char *)(h) + NLMSG_ALIGN(sizeof(struct nlmsghdr))))
#define NLMSG_OK(h, len) \
    ((len) >= (int)sizeof(struct nlmsghdr) && (h)->nlmsg_len >= sizeof(struct nlmsghdr) && \
     (h)->nlmsg_len <= (unsigned)(len))
#define NLMSG_NEXT(h, len) \
    ((len) -= NLMSG_ALIGN((h)->nlmsg_len), \
     (struct nlmsghdr *)((char *)(h) + NLMSG_ALIGN((h)->nlmsg_len)))

static void libc_sees_the_loopback(void) {
    CHECK_EQ(if_nametoindex("lo"), 1);
    char name[IF_NAMESIZE];
    CHECK(if_indextoname(1, name) != NULL);
    CHECK_EQ(strcmp(name, "lo"), 0);
    struct if_nameindex *names = if_nameindex();
    CHECK(names != NULL);
    int found = 0;
    for (struct if_nameindex *n = names; n->if_index != 0; n++)
        if (strcmp(n->if_name, "lo") == 0) found++;
    CHECK_EQ(found, 1);
    if_freenameindex(names);

    struct ifaddrs *list;
    CHECK_EQ(getifaddrs(&list), 0);
    int v4 = 0, v6 = 0;
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (strcmp(a->ifa_name, "lo") != 0 || !a->ifa_addr) continue;
        CHECK(a->ifa_flags & IFF_UP);
        CHECK(a->ifa_flags & IFF_LOOPBACK);
        if (a->ifa_addr->sa_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)a->ifa_addr;
            struct sockaddr_in *mask = (struct sockaddr_in *)a->ifa_netmask;
            CHECK_EQ(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
            CHECK_EQ(mask->sin_addr.s_addr, htonl(0xff000000));
            v4++;
        }
        if (a->ifa_addr->sa_family == AF_INET6) {
            CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr));
            v6++;
        }
    }
    CHECK_EQ(v4, 1);
    CHECK_EQ(v6, 1);
    freeifaddrs(list);
}

static void a_raw_link_dump(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(fd >= 0);
    CHECK_EQ(socket(AF_NETLINK, SOCK_RAW, 99), -1);
    CHECK_EQ(errno, EPROTONOSUPPORT);
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    CHECK_EQ(bind(fd, (struct sockaddr *)&local, sizeof local), 0);
    socklen_t len = sizeof local;
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&local, &len), 0);
    CHECK_EQ(len, sizeof local);
    CHECK(local.nl_pid != 0);
    struct {
        struct nlmsghdr header;
        struct ifinfomsg body;
    } request = {
        .header = {.nlmsg_len = sizeof request, .nlmsg_type = RTM_GETLINK,
                   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1234},
        .body = {.ifi_family = AF_UNSPEC},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    CHECK_EQ(sendto(fd, &request, sizeof request, 0, (struct sockaddr *)&kernel, sizeof kernel),
             (long)sizeof request);
    int links = 0, done = 0;
    char buf[8192];
    while (!done) {
        struct sockaddr_nl from;
        socklen_t from_len = sizeof from;
        int n = (int)recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
        CHECK(n > 0);
        CHECK_EQ(from.nl_pid, 0);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            CHECK_EQ(h->nlmsg_seq, 1234);
            CHECK_EQ(h->nlmsg_pid, local.nl_pid);
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            CHECK_EQ(h->nlmsg_type, RTM_NEWLINK);
            struct ifinfomsg *info = NLMSG_DATA(h);
            if (info->ifi_index == 1) {
                CHECK(info->ifi_flags & IFF_LOOPBACK);
                links++;
            }
        }
    }
    CHECK_EQ(links, 1);
    close(fd);
}

int main(void) {
    libc_sees_the_loopback();
    a_raw_link_dump();
    puts("netlink: ok");
    return 0;
}

/* NetworkInfo.gateways as upstream fills them: guest_api_service.rs get_gateways takes the
 * `gateway` of every interface default-net 0.22 lists (`default_net::get_interfaces`), and that
 * crate sets one only on Linux (interface/unix.rs interfaces, gateway/linux.rs
 * get_default_gateway):
 *   - on the interfaces holding the local address the kernel picks for 1.1.1.1:80 (a UDP
 *     socket connected there; no packet is sent for that);
 *   - after a zero-byte UDP datagram to 1.1.1.1:80 with TTL 1, sent so the gateway's MAC lands
 *     in the ARP cache (a failed send means no gateway);
 *   - the gateway is the last /proc/net/route row of that interface whose Gateway field is not
 *     00000000 (a default route on an ordinary guest, though any gatewayed route counts);
 *   - and it counts only when /proc/net/arp has that address on that interface.
 * So there is at most one gateway per such interface, IPv4 only: IPv6 routes are never read.
 * docs/api/guest-NetworkInfo.md. */
#include "guest_api/netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/ip.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest_api/proc_text.h"

#define TABLE_MAX (64u * 1024u)
#define PROBE_ADDR "1.1.1.1" /* default-net's probe destination, port 80 */
#define PROBE_PORT 80

/* Splits blank-separated fields of one line in place; returns how many (at most max). */
static size_t fields_of(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        p += strspn(p, " \t");
        if (*p == '\0') {
            break;
        }
        f[n++] = p;
        p += strcspn(p, " \t");
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    return n;
}

/* The kernel prints the gateway as the 8 hex digits of its in-memory (network order) value read
 * as a host-order number: on little-endian machines the last pair is the first octet. */
static bool route_gateway_text(const char *hex, char out[NETINFO_ADDR_LEN])
{
    if (strlen(hex) != 8 || strspn(hex, "0123456789abcdefABCDEF") != 8) {
        return false;
    }
    uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
    snprintf(out, NETINFO_ADDR_LEN, "%u.%u.%u.%u", v & 0xffu, (v >> 8) & 0xffu, (v >> 16) & 0xffu,
             v >> 24);
    return true;
}

/* Calls fn on every line after the title line of a /proc/net table, split into fields. */
static void each_row(const char *text, bool (*fn)(char **f, size_t n, void *ctx), void *ctx)
{
    const char *line = strchr(text, '\n');
    while (line != NULL && line[1] != '\0') {
        line++;
        char copy[512];
        char *f[12];
        snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line, "\n"), line);
        if (!fn(f, fields_of(copy, f, 12), ctx)) {
            return;
        }
        line = strchr(line, '\n');
    }
}

struct pick {
    const char *iface;
    char gateway[NETINFO_ADDR_LEN];
    bool found;
};

static bool route_row(char **f, size_t n, void *ctx)
{
    struct pick *p = ctx;
    char text[NETINFO_ADDR_LEN];
    /* Iface Destination Gateway ...: the last gatewayed row of the interface wins */
    if (n >= 3 && strcmp(f[0], p->iface) == 0 && strcmp(f[2], "00000000") != 0 &&
        route_gateway_text(f[2], text)) {
        memcpy(p->gateway, text, sizeof text);
        p->found = true;
    }
    return true;
}

static bool arp_row(char **f, size_t n, void *ctx)
{
    struct pick *p = ctx;
    /* IP-address HW-type Flags HW-address Mask Device */
    if (n >= 6 && strcmp(f[0], p->gateway) == 0 && strcmp(f[5], p->iface) == 0) {
        p->found = true;
        return false;
    }
    return true;
}

bool netinfo_gateway_of(const char *route_text, const char *arp_text, const char *iface,
                        char out[NETINFO_ADDR_LEN])
{
    struct pick p = {.iface = iface};
    each_row(route_text, route_row, &p);
    if (!p.found) {
        return false;
    }
    p.found = false;
    each_row(arp_text, arp_row, &p);
    if (p.found) {
        memcpy(out, p.gateway, NETINFO_ADDR_LEN);
    }
    return p.found;
}

static struct sockaddr_in probe_addr(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PROBE_PORT)};
    inet_pton(AF_INET, PROBE_ADDR, &sa.sin_addr);
    return sa;
}

/* The local IPv4 address the kernel would send from to 1.1.1.1 (default-net get_local_ipaddr). */
static bool local_address(struct in_addr *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = probe_addr(), local;
    socklen_t len = sizeof local;
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(fd, (struct sockaddr *)&local, &len) == 0 && local.sin_family == AF_INET;
    if (fd >= 0) {
        close(fd);
    }
    if (ok) {
        *out = local.sin_addr;
    }
    return ok;
}

/* default-net's send_udp_packet: an empty datagram, TTL 1, so ARP resolves the first hop. */
static bool arp_nudge(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int ttl = 1;
    struct sockaddr_in sa = probe_addr();
    bool ok = fd >= 0 && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0 &&
              sendto(fd, "", 0, 0, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static void add_unique(struct netinfo_snapshot *s, const char *gw)
{
    for (size_t i = 0; i < s->n_gateways; i++) {
        if (strcmp(s->gateways[i], gw) == 0) {
            return;
        }
    }
    if (s->n_gateways < NETINFO_MAX_GATEWAYS) {
        snprintf(s->gateways[s->n_gateways++], NETINFO_ADDR_LEN, "%s", gw);
    }
}

void netinfo_read_gateways(struct netinfo_snapshot *s)
{
    struct in_addr local;
    struct ifaddrs *list = NULL;
    char *route = malloc(TABLE_MAX), *arp = malloc(TABLE_MAX);
    if (route == NULL || arp == NULL || !local_address(&local) || getifaddrs(&list) != 0) {
        goto out;
    }
    for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_name == NULL || ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
            ((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr.s_addr !=
                local.s_addr) {
            continue;
        }
        char gw[NETINFO_ADDR_LEN];
        if (arp_nudge() && proc_text_read("/proc/net/route", route, TABLE_MAX) &&
            proc_text_read("/proc/net/arp", arp, TABLE_MAX) &&
            netinfo_gateway_of(route, arp, ifa->ifa_name, gw)) {
            add_unique(s, gw);
        }
    }
out:
    if (list != NULL) {
        freeifaddrs(list);
    }
    free(route);
    free(arp);
}

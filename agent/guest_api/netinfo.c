#include "guest_api/netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_api/proc_text.h"
#include "guest_api/run_capture.h"

#define ROUTES_MAX (64u * 1024u)
#define WG_TIMEOUT_MS 3000

int netinfo_iface_reported(const char *name)
{
    return strcmp(name, "dstack-wg0") == 0 || strncmp(name, "enp", 3) == 0 ||
           strncmp(name, "eth", 3) == 0;
}

static uint32_t mask_prefix(const uint8_t *mask, size_t len)
{
    uint32_t bits = 0;
    for (size_t i = 0; i < len; i++) {
        for (uint8_t m = mask[i]; m & 0x80u; m = (uint8_t)(m << 1)) {
            bits++;
        }
    }
    return bits;
}

static struct netinfo_iface *iface_for(struct netinfo_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->n_ifaces; i++) {
        if (strcmp(s->ifaces[i].name, name) == 0) {
            return &s->ifaces[i];
        }
    }
    if (s->n_ifaces == NETINFO_MAX_IFACES || strlen(name) >= sizeof s->ifaces[0].name) {
        return NULL;
    }
    struct netinfo_iface *f = &s->ifaces[s->n_ifaces++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

static void add_address(struct netinfo_iface *f, const struct ifaddrs *ifa)
{
    if (f->n_addrs == NETINFO_MAX_ADDRS || ifa->ifa_addr == NULL) {
        return;
    }
    struct netinfo_addr *a = &f->addrs[f->n_addrs];
    const void *addr, *mask = NULL;
    size_t mask_len;
    if (ifa->ifa_addr->sa_family == AF_INET) {
        addr = &((const struct sockaddr_in *)(const void *)ifa->ifa_addr)->sin_addr;
        mask_len = 4;
        if (ifa->ifa_netmask != NULL) {
            mask = &((const struct sockaddr_in *)(const void *)ifa->ifa_netmask)->sin_addr;
        }
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
        addr = &((const struct sockaddr_in6 *)(const void *)ifa->ifa_addr)->sin6_addr;
        mask_len = 16;
        if (ifa->ifa_netmask != NULL) {
            mask = &((const struct sockaddr_in6 *)(const void *)ifa->ifa_netmask)->sin6_addr;
        }
    } else {
        return;
    }
    if (inet_ntop(ifa->ifa_addr->sa_family, addr, a->address, sizeof a->address) == NULL) {
        return;
    }
    a->prefix = mask != NULL ? mask_prefix(mask, mask_len) : 0;
    f->n_addrs++;
}

/* Counters of /sys/class/net/<if>/statistics, the files sysinfo reads. */
static void read_counters(struct netinfo_iface *f)
{
    static const char *const names[4] = {"rx_bytes", "tx_bytes", "rx_errors", "tx_errors"};
    uint64_t *dst[4] = {&f->rx_bytes, &f->tx_bytes, &f->rx_errors, &f->tx_errors};
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", f->name, names[i]);
        proc_text_u64(path, dst[i]);
    }
}

static int iface_cmp(const void *a, const void *b)
{
    return strcmp(((const struct netinfo_iface *)a)->name, ((const struct netinfo_iface *)b)->name);
}

static void read_interfaces(struct netinfo_snapshot *s)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) {
        return;
    }
    for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_name == NULL || !netinfo_iface_reported(ifa->ifa_name)) {
            continue;
        }
        struct netinfo_iface *f = iface_for(s, ifa->ifa_name);
        if (f != NULL) {
            add_address(f, ifa);
        }
    }
    freeifaddrs(list);
    for (size_t i = 0; i < s->n_ifaces; i++) {
        read_counters(&s->ifaces[i]);
    }
    qsort(s->ifaces, s->n_ifaces, sizeof s->ifaces[0], iface_cmp);
}

static void add_gateway(struct netinfo_snapshot *s, int family, const void *addr)
{
    char text[NETINFO_ADDR_LEN];
    if (s->n_gateways == NETINFO_MAX_GATEWAYS ||
        inet_ntop(family, addr, text, sizeof text) == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_gateways; i++) {
        if (strcmp(s->gateways[i], text) == 0) {
            return;
        }
    }
    memcpy(s->gateways[s->n_gateways++], text, sizeof text);
}

static int hex_nibble(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* n bytes of hex text into out; false on a non-hex character. */
static bool hex_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

/* Splits blank-separated fields in place; returns how many (at most max). */
static size_t split_fields(char *line, char **f, size_t max)
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

/* Default routes (destination and mask 0, RTF_GATEWAY) of /proc/net/route, whose addresses
 * are 8 hex digits of the address in host byte order, and of /proc/net/ipv6_route. */
static void read_gateways(struct netinfo_snapshot *s, char *buf)
{
    if (proc_text_read("/proc/net/route", buf, ROUTES_MAX)) {
        /* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; first line: titles */
        for (char *line = strchr(buf, '\n'); line != NULL && line[1] != '\0';
             line = strchr(line + 1, '\n')) {
            char copy[256];
            char *f[8];
            snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
            if (split_fields(copy, f, 8) < 8) {
                continue;
            }
            unsigned long flags = strtoul(f[3], NULL, 16);
            uint32_t gw = (uint32_t)strtoul(f[2], NULL, 16);
            if (strcmp(f[1], "00000000") == 0 && strcmp(f[7], "00000000") == 0 &&
                (flags & 0x2u) != 0 && gw != 0) {  /* 0x2: RTF_GATEWAY */
                struct in_addr a = {.s_addr = gw}; /* the kernel prints the in-memory value */
                add_gateway(s, AF_INET, &a);
            }
        }
    }
    /* ipv6_route: dst(32) dst_len(2) src(32) src_len(2) next_hop(32) ... */
    if (proc_text_read("/proc/net/ipv6_route", buf, ROUTES_MAX)) {
        for (char *line = buf; line != NULL && *line != '\0';) {
            char *end = strchr(line, '\n');
            uint8_t dst[16], hop[16];
            static const uint8_t zero[16] = {0};
            if (strlen(line) > 104 && line[32] == ' ' && strncmp(line + 33, "00", 2) == 0 &&
                hex_bytes(line, dst, 16) && hex_bytes(line + 72, hop, 16) &&
                memcmp(dst, zero, 16) == 0 && memcmp(hop, zero, 16) != 0) {
                add_gateway(s, AF_INET6, hop);
            }
            line = end != NULL ? end + 1 : NULL;
        }
    }
}

/* `nameserver <ip>` lines; like upstream, the line must start with the word. */
static void read_dns(struct netinfo_snapshot *s, const char *resolv_conf, char *buf)
{
    if (!proc_text_read(resolv_conf, buf, ROUTES_MAX)) {
        return;
    }
    for (const char *line = buf; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "nameserver", 10) == 0 && s->n_dns < NETINFO_MAX_DNS) {
            const char *p = line + 10;
            const char *stop = line + len;
            while (p < stop && (*p == ' ' || *p == '\t')) {
                p++;
            }
            size_t n = 0;
            while (p + n < stop && p[n] != ' ' && p[n] != '\t' && p[n] != '\r') {
                n++;
            }
            if (n > 0 && p > line + 10 && n < sizeof s->dns[0]) {
                memcpy(s->dns[s->n_dns], p, n);
                s->dns[s->n_dns++][n] = '\0';
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

int netinfo_collect(const char *resolv_conf, const char *wg, struct netinfo_snapshot *out)
{
    memset(out, 0, sizeof *out);
    char *buf = malloc(ROUTES_MAX);
    if (buf == NULL) {
        return -1;
    }
    read_interfaces(out);
    read_gateways(out, buf);
    read_dns(out, resolv_conf != NULL ? resolv_conf : "/etc/resolv.conf", buf);
    free(buf);
    const char *const argv[] = {wg != NULL ? wg : "wg", NULL};
    out->wg_info = run_capture(argv, NETINFO_WG_MAX, WG_TIMEOUT_MS);
    if (out->wg_info == NULL) {
        return -1;
    }
    return 0;
}

void netinfo_free(struct netinfo_snapshot *s)
{
    if (s != NULL) {
        free(s->wg_info);
        s->wg_info = NULL;
    }
}

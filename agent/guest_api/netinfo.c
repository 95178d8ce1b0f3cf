#include "guest_api/netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_api/proc_text.h"
#include "guest_api/run_capture.h"
#include "util/error.h"

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

dstack_err netinfo_collect(const char *resolv_conf, const char *wg, struct netinfo_snapshot *out)
{
    memset(out, 0, sizeof *out);
    char *buf = malloc(ROUTES_MAX);
    if (buf == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    read_interfaces(out);
    netinfo_read_gateways(out);
    read_dns(out, resolv_conf != NULL ? resolv_conf : "/etc/resolv.conf", buf);
    free(buf);
    const char *const argv[] = {wg != NULL ? wg : "wg", NULL};
    out->wg_info = run_capture(argv, NETINFO_WG_MAX, WG_TIMEOUT_MS);
    if (out->wg_info == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    return DSTACK_OK;
}

void netinfo_free(struct netinfo_snapshot *s)
{
    if (s != NULL) {
        free(s->wg_info);
        s->wg_info = NULL;
    }
}

/* GuestApi.NetworkInfo: the guest's public-facing interfaces with their addresses and counters,
 * its default gateways, DNS servers and WireGuard state (guest-agent/src/guest_api_service.rs
 * network_info; docs/api/guest-NetworkInfo.md). */
#ifndef DSTACK_AGENT_GUEST_API_NETINFO_H
#define DSTACK_AGENT_GUEST_API_NETINFO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define NETINFO_MAX_IFACES 32
#define NETINFO_MAX_ADDRS 16
#define NETINFO_MAX_GATEWAYS 16
#define NETINFO_MAX_DNS 16
#define NETINFO_ADDR_LEN INET6_ADDRSTRLEN
#define NETINFO_WG_MAX (64u * 1024u) /* `wg` output kept; the rest is cut */

struct netinfo_addr {
    char address[NETINFO_ADDR_LEN]; /* textual IPv4 / IPv6 (RFC 5952 form) */
    uint32_t prefix;
};

struct netinfo_iface {
    char name[32];
    size_t n_addrs;
    struct netinfo_addr addrs[NETINFO_MAX_ADDRS];
    uint64_t rx_bytes, tx_bytes, rx_errors, tx_errors;
};

struct netinfo_snapshot {
    size_t n_dns;
    char dns[NETINFO_MAX_DNS][NETINFO_ADDR_LEN + 16];
    size_t n_gateways;
    char gateways[NETINFO_MAX_GATEWAYS][NETINFO_ADDR_LEN];
    size_t n_ifaces;
    struct netinfo_iface ifaces[NETINFO_MAX_IFACES]; /* sorted by name */
    char *wg_info; /* malloc'd: `wg` output, or why it could not run */
};

/* Only dstack-wg0, enp* and eth* are reported: upstream leaves out Docker's bridges and veths
 * for privacy. resolv_conf: NULL = /etc/resolv.conf. wg: the command to run, NULL = "wg"
 * (searched in PATH). Fails only when out of memory (out is then freed). */
dstack_err netinfo_collect(const char *resolv_conf, const char *wg, struct netinfo_snapshot *out);
void netinfo_free(struct netinfo_snapshot *s);

/* gateway.c: upstream's gateways (default-net 0.22 on Linux): the gateway of the interface
 * that holds the local address used towards 1.1.1.1, when the ARP cache knows it. */
void netinfo_read_gateways(struct netinfo_snapshot *s);

/* The gateway of iface from /proc/net/route and /proc/net/arp texts: the last route row of iface
 * with a gateway, if arp has that address on iface. Pure, for the unit tests. */
bool netinfo_gateway_of(const char *route_text, const char *arp_text, const char *iface,
                        char out[NETINFO_ADDR_LEN]);

/* Exposed for the unit tests: which interface names are reported. */
int netinfo_iface_reported(const char *name);

#endif

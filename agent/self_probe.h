/* The watchdog's self-probe (docs/configuration.md: upstream asks its own Version endpoint before
 * every systemd watchdog ping): one plain HTTP/1.1 request on a new connection to the address a
 * listening socket is bound to, read up to the status line. A client line, not a parser; it
 * replaced libcurl in the daemon, whose ~30 shared libraries cost ~1.5 MiB of RSS at start
 * (docs/performance.md, figure 4). */
#ifndef DSTACK_AGENT_SELF_PROBE_H
#define DSTACK_AGENT_SELF_PROBE_H

#include <stdbool.h>

/* True when `HEAD <path>` on a connection to listen_fd's own address (Unix path or IP:port, as
 * getsockname reports it; a wildcard address reaches the local host) answers 2xx within
 * timeout_ms for each of connect, send and receive. */
bool self_probe(int listen_fd, const char *path, unsigned timeout_ms);

#endif

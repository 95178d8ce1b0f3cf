/* Checks made on every request before the application sees it (srv.h). */
#ifndef DSTACK_INTERNAL_SRV_GUARD_H
#define DSTACK_INTERNAL_SRV_GUARD_H

#include "srv.h"

/* 0 when the request may go on; else the HTTP status to refuse it with, and why in err_text():
 *   400 two Content-Length headers, or Transfer-Encoding with Content-Length (RFC 9112 §6.3:
 *       a proxy in front may read the body differently, so the request is never dispatched);
 *   403 on a guarded (TCP) listener: a Host that is neither an IP literal, "localhost" nor an
 *       allowed name, or naming another port (DNS rebinding); an Origin that is not this
 *       listener's; Sec-Fetch-Site cross-site or same-site (a web page's request);
 *   415 on a guarded listener: a POST body whose Content-Type is not application/json (the only
 *       types a web page can send without a CORS preflight are text/plain and forms). */
unsigned srv_guard_check(const struct srv_web_guard *g, struct MHD_Connection *conn,
                         const char *method);

/* The Host rule alone, for unit tests: host is a Host header value; strict_port requires a port
 * equal to g->port (Origin), else a port, when present, must equal it. */
bool srv_guard_host_ok(const struct srv_web_guard *g, const char *host, bool strict_port,
                       uint16_t default_port);

#endif

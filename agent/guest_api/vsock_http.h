/* POSTs to the host's API (Shutdown's notification) over vsock (util/vsock.h), a unix socket or
 * HTTP, as upstream's http-client does. */
#ifndef DSTACK_AGENT_GUEST_API_VSOCK_HTTP_H
#define DSTACK_AGENT_GUEST_API_VSOCK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "util/vsock.h"

/* POSTs body (JSON) to path on cid:port; DSTACK_OK on a 2xx answer within timeout_ms, else
 * the error text (util/error.h) says why not. */
dstack_err vsock_http_post(uint32_t cid, uint32_t port, const char *path, const char *body,
                           long timeout_ms);

/* POSTs body to <base>/<path> as upstream's http-client does for a base URL (http-client
 * lib.rs http_request): "vsock://CID:PORT[/prefix]", "unix:/socket" (then the path is
 * "/<path>"), or "http(s)://host[:port][/prefix]". path has no leading '/'. DSTACK_OK on a 2xx
 * answer, else the error text (util/error.h) says why not. */
dstack_err host_http_post(const char *base, const char *path, const char *body, long timeout_ms);

#endif

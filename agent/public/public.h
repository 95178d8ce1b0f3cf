/* The external (Worker) server's pages beside its RPCs: `/` always, `/metrics` when the app
 * compose says "public_sysinfo": true, `/logs/<container>` when "public_logs": true
 * (guest-agent/src/http_routes.rs external_routes; docs/api/public-routes.md). */
#ifndef DSTACK_AGENT_PUBLIC_PUBLIC_H
#define DSTACK_AGENT_PUBLIC_PUBLIC_H

#include <stdbool.h>

#include <microhttpd.h>

#include "agent.h"

struct listener;

/* The compose flags, read as upstream's AppCompose reads them (absent: logs and sysinfo false,
 * tcbinfo true). */
struct public_flags {
    bool public_logs, public_sysinfo, public_tcbinfo;
};
void public_flags_read(const struct agent *a, struct public_flags *out);

/* For a GET or HEAD on the Worker listener: true when url is one of these pages (then *result
 * is the queued answer); false to let the RPC routing go on (and 404 what is unknown).
 * raw_control: the raw URI held a control character, escaped or not (request.h), which the
 * decoded url no longer shows whole. */
bool public_dispatch(struct listener *l, struct MHD_Connection *conn, const char *url,
                     bool raw_control, enum MHD_Result *result);

/* logs.c: GET /logs/<name>, streamed; raw_control refuses it with 400 before Docker is asked. */
enum MHD_Result public_logs(struct listener *l, struct MHD_Connection *conn, const char *name,
                            bool raw_control);

#endif

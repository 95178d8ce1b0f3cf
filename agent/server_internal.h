/* What the parts of the agent's HTTP server share (not used outside server*.c):
 * server.c        listeners: bind, serve, stop;
 * server_answer.c answers: common headers, errors in upstream's format, kept static answers;
 * server_request.c one request: its body under the cap, routing, decoding, the handler. */
#ifndef DSTACK_AGENT_SERVER_INTERNAL_H
#define DSTACK_AGENT_SERVER_INTERNAL_H

#include <microhttpd.h>

#include "routes.h"
#include "server.h"

/* server_send with the function that frees body once libmicrohttpd lets it go (heap_wipe_free
 * for answers that hold a key). */
enum MHD_Result server_send_body(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                 const char *type, char *body, size_t len,
                                 MHD_ContentReaderFreeCallback release);

/* {\n  "error": "<msg>"\n} with status (docs/wire.md). msg may be err_text(). */
enum MHD_Result server_send_error(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                  const char *msg);

/* Rocket's default 404 catcher: JSON when the client asks for it, else a small HTML page. */
enum MHD_Result server_send_not_found(struct listener *l, struct MHD_Connection *conn);

/* The kept answer of a ROUTE_STATIC route, or NULL before its first one. */
struct MHD_Response *server_static_find(struct listener *l, const struct rpc_route *route);

/* Keeps a copy of a static route's first answer (best effort). */
void server_static_keep(struct listener *l, const struct rpc_route *route, const char *body,
                        size_t len);

/* libmicrohttpd's callbacks for one listener (cls: the struct listener). server_on_uri sees the
 * raw URI before it is decoded; what it returns is the request's context (*con_cls), freed by
 * server_on_completed. */
void *server_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls);
void server_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe);
/* The core's refusals (srv_guard.h) in our error format. */
enum MHD_Result server_on_refuse(void *cls, struct MHD_Connection *conn, void **con_cls,
                                 unsigned status, const char *msg);

#endif

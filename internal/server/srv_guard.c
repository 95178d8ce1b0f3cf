/* Request checks before dispatch: HTTP framing conflicts on every listener, and on TCP listeners
 * the marks of a request sent by a web page (docs/security.md, "TCP listeners"). */
#include "srv_guard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"

struct header_census {
    unsigned content_length;
    unsigned transfer_encoding;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    struct header_census *h = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        h->content_length++;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        h->transfer_encoding++;
    }
    return MHD_YES;
}

static bool is_ip_literal(const char *name, size_t len, bool bracketed)
{
    char buf[64];
    struct in6_addr a6;
    struct in_addr a4;
    if (len == 0 || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, name, len);
    buf[len] = '\0';
    return bracketed ? inet_pton(AF_INET6, buf, &a6) == 1 : inet_pton(AF_INET, buf, &a4) == 1;
}

static bool name_allowed(const struct srv_web_guard *g, const char *name, size_t len)
{
    if (len == 9 && strncasecmp(name, "localhost", 9) == 0) {
        return true;
    }
    for (size_t i = 0; i < g->n_allowed_hosts; i++) {
        if (strlen(g->allowed_hosts[i]) == len &&
            strncasecmp(g->allowed_hosts[i], name, len) == 0) {
            return true;
        }
    }
    return false;
}

bool srv_guard_host_ok(const struct srv_web_guard *g, const char *host, bool strict_port,
                       uint16_t default_port)
{
    const char *name = host;
    size_t len;
    const char *rest;
    bool bracketed = host[0] == '[';
    if (bracketed) {
        const char *close = strchr(host, ']');
        if (close == NULL) {
            return false;
        }
        name = host + 1;
        len = (size_t)(close - name);
        rest = close + 1;
    } else {
        len = strcspn(host, ":");
        rest = host + len;
    }
    long port = default_port;
    if (rest[0] == ':') {
        char *end = NULL;
        port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || *end != '\0' || port < 1 || port > 65535) {
            return false;
        }
    } else if (rest[0] != '\0') {
        return false;
    }
    if ((strict_port || rest[0] == ':') && port != g->port) {
        return false;
    }
    /* A rebinding page reaches us under its own host name; an IP literal is never one. */
    return is_ip_literal(name, len, bracketed) || name_allowed(g, name, len);
}

/* Origin is "scheme://host[:port]" (RFC 6454 §6.1) or "null". */
static bool origin_ok(const struct srv_web_guard *g, const char *origin)
{
    uint16_t default_port;
    const char *hostport;
    if (strncasecmp(origin, "http://", 7) == 0) {
        default_port = 80;
        hostport = origin + 7;
    } else if (strncasecmp(origin, "https://", 8) == 0) {
        default_port = 443;
        hostport = origin + 8;
    } else {
        return false;
    }
    return srv_guard_host_ok(g, hostport, true, default_port);
}

static bool is_json_type(const char *ct)
{
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    size_t n = strcspn(ct, "; \t");
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

static unsigned web_check(const struct srv_web_guard *g, struct MHD_Connection *conn,
                          const char *method)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (host != NULL && !srv_guard_host_ok(g, host, false, g->port)) {
        (void)err_set(
            DSTACK_EINVAL,
            "Host \"%.100s\" is not an address of this listener; name it with --allow-host", host);
        return MHD_HTTP_FORBIDDEN;
    }
    const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site != NULL &&
        (strcasecmp(site, "cross-site") == 0 || strcasecmp(site, "same-site") == 0)) {
        (void)err_set(DSTACK_EINVAL, "requests from web pages are refused (Sec-Fetch-Site: %.20s)",
                      site);
        return MHD_HTTP_FORBIDDEN;
    }
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (origin != NULL && !origin_ok(g, origin)) {
        (void)err_set(DSTACK_EINVAL, "requests from web pages are refused (Origin: %.100s)",
                      origin);
        return MHD_HTTP_FORBIDDEN;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        bool has_body = te != NULL || (cl != NULL && strtoull(cl, NULL, 10) > 0);
        const char *ct =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (has_body && (ct == NULL || !is_json_type(ct))) {
            (void)err_set(DSTACK_EINVAL,
                          "POST bodies on a TCP listener must be sent with Content-Type: "
                          "application/json");
            return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        }
    }
    return 0;
}

unsigned srv_guard_check(const struct srv_web_guard *g, struct MHD_Connection *conn,
                         const char *method)
{
    struct header_census h = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &h);
    if (h.content_length > 1) {
        (void)err_set(DSTACK_EINVAL, "more than one Content-Length header");
        return MHD_HTTP_BAD_REQUEST;
    }
    if (h.transfer_encoding > 0 && h.content_length > 0) {
        (void)err_set(DSTACK_EINVAL, "Transfer-Encoding and Content-Length together");
        return MHD_HTTP_BAD_REQUEST;
    }
    return g->enabled ? web_check(g, conn, method) : 0;
}

/* HTTP over AF_VSOCK with libcurl, which has no vsock transport of its own: the socket is made
 * and connected here and handed to libcurl as already connected, as upstream's http-client does
 * for vsock:// URLs. Shared by the agent's host API calls (agent/guest_api/vsock_http.c) and the
 * SDK's Guest API client (lib/client/transport.c). Internal header: not installed. */
#ifndef DSTACK_UTIL_VSOCK_H
#define DSTACK_UTIL_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* One transfer's peer. connect_errno keeps why socket() or connect() failed (0 when they did
 * not): libcurl only learns that no socket came and says "Couldn't connect to server". */
struct vsock_peer {
    uint32_t cid, port;
    int connect_errno;
};

/* Splits "vsock://<cid>:<port>[/path]" (numbers decimal or 0x hex, as upstream's CIDs) into its
 * parts. path gets the rest from its '/' ("" when absent, at most path_cap-1 bytes); with path
 * NULL the rest is only checked to start with '/'. False when the text is not such a URL. */
bool vsock_url_parse(const char *url, uint32_t *cid, uint32_t *port, char *path, size_t path_cap);

/* Has h open its connections to peer over vsock (peer must outlive the transfers; the URL's
 * host is then not used); vsock_curl_detach undoes it. */
void vsock_curl_attach(CURL *h, struct vsock_peer *peer);
void vsock_curl_detach(CURL *h);

#endif

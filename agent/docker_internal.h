/* Pieces shared by docker.c (requests answered at once) and docker_logs.c (streams). */
#ifndef DSTACK_AGENT_DOCKER_INTERNAL_H
#define DSTACK_AGENT_DOCKER_INTERNAL_H

#include <curl/curl.h>

#include "cjson_util.h"
#include "docker.h"

struct docker_buf {
    char *data;
    size_t len, cap, max;
};

/* An easy handle for http://localhost<path_and_query> over the socket; errbuf has
 * CURL_ERROR_SIZE bytes and must outlive the handle. */
CURL *docker_curl_new(const char *socket_path, const char *path_and_query, char *errbuf);

/* Sets the error text of a transfer that failed (not running, timed out, ...) and returns
 * DSTACK_ETRANSPORT. */
dstack_err docker_transfer_failed(CURLcode rc, const char *socket_path, const char *detail);

/* GET and parse; *status is Docker's HTTP status (0 when none came). A non-200 answer is an
 * error with Docker's message. */
dstack_err docker_get_json(const char *path_and_query, cJSON **out, long *status);

#endif

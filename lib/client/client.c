/* Client lifetime: endpoint resolution, options, pool, logging, raw calls. */
#include "client/client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

#ifndef DSTACK_WIRE_VERSION
#define DSTACK_WIRE_VERSION "0"
#endif

static const char *const dstack_paths[] = DSTACK_SOCKET_PATHS;
static const char *const tappd_paths[] = DSTACK_TAPPD_SOCKET_PATHS;

dstack_err client_create(const char *endpoint, const char *env_var, const char *const *paths,
                         size_t n_paths, const char *prefix,
                         const struct dstack_client_options *opts, struct dstack_client **out)
{
    dstack_err err;
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_client_new: out is NULL");
    }
    *out = NULL;
    if ((err = transport_global_init()) != DSTACK_OK) {
        return err;
    }
    struct dstack_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    err = dstack_endpoint_resolve(endpoint, env_var, paths, n_paths, &c->endpoint, &c->kind);
    if (err != DSTACK_OK) {
        free(c);
        return err;
    }
    c->path_prefix = prefix;
    c->timeout_ms =
        (opts != NULL && opts->timeout_ms != 0) ? opts->timeout_ms : DSTACK_DEFAULT_TIMEOUT_MS;
    const char *ua = (opts != NULL && opts->user_agent != NULL)
                         ? opts->user_agent
                         : "dstack-sdk-c/" DSTACK_WIRE_VERSION;
    /* A header line must not be split by the caller's text. */
    if (strpbrk(ua, "\r\n") != NULL) {
        free(c->endpoint);
        free(c);
        return err_set(DSTACK_EINVAL, "user_agent must not contain line breaks");
    }
    c->headers = transport_headers_new(ua);
    if (c->headers == NULL || pthread_mutex_init(&c->pool_lock, NULL) != 0) {
        transport_headers_free(c->headers);
        free(c->endpoint);
        free(c);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    *out = c;
    return DSTACK_OK;
}

dstack_err dstack_client_new(const char *endpoint, const struct dstack_client_options *opts,
                             struct dstack_client **out)
{
    err_clear();
    return client_create(endpoint, "DSTACK_SIMULATOR_ENDPOINT", dstack_paths,
                         sizeof dstack_paths / sizeof dstack_paths[0], "/", opts, out);
}

dstack_err dstack_tappd_client_new(const char *endpoint, const struct dstack_client_options *opts,
                                   dstack_log_fn log, void *log_user, struct dstack_client **out)
{
    err_clear();
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_tappd_client_new: out is NULL");
    }
    /* Legacy service mounted at /prpc/ with the "Tappd." prefix (docs/api/README.md). */
    dstack_err err =
        client_create(endpoint, "TAPPD_SIMULATOR_ENDPOINT", tappd_paths,
                      sizeof tappd_paths / sizeof tappd_paths[0], "/prpc/Tappd.", opts, out);
    if (err != DSTACK_OK) {
        return err;
    }
    dstack_client_set_log(*out, log, log_user);
    client_log(*out, DSTACK_LOG_WARN, "TappdClient is deprecated, please use DstackClient instead");
    return DSTACK_OK;
}

void dstack_client_free(struct dstack_client *c)
{
    if (c == NULL) {
        return;
    }
    transport_pool_free(c);
    pthread_mutex_destroy(&c->pool_lock);
    transport_headers_free(c->headers);
    free(c->endpoint);
    free(c);
}

const char *dstack_client_endpoint(const struct dstack_client *c)
{
    return c != NULL ? c->endpoint : "";
}

void dstack_client_set_log(struct dstack_client *c, dstack_log_fn fn, void *user)
{
    if (c != NULL) {
        c->log = fn;
        c->log_user = user;
    }
}

void client_log(const struct dstack_client *c, enum dstack_log_level level, const char *fmt, ...)
{
    if (c == NULL || c->log == NULL) {
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->log(level, line, c->log_user);
}

/* POST <prefix>METHOD; on a "/" client whose socket answers 404 without JSON (the route does
 * not exist there), POST /prpc/METHOD, then /api/METHOD: the tappd and Worker APIs live under
 * /prpc/ and take the bare method name (upstream's prpc routes trim "Tappd." / "Worker."), the
 * Guest API of guest.sock under /api/, so one method name works on every socket kind. */
static dstack_err call_with_retry(struct dstack_client *c, const char *method, cJSON *req,
                                  bool any_api, char **response)
{
    char *body = req != NULL ? json_dump(req, 0, NULL) : strdup("{}");
    struct client_http_result r = {0};
    if (body == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = transport_post(c, method, body, 0, &r);
    static const char *const other_prefixes[] = {"prpc/", "api/"};
    for (size_t i = 0; i < sizeof other_prefixes / sizeof other_prefixes[0]; i++) {
        bool not_here = any_api && err == DSTACK_OK && r.status == 404 &&
                        strcmp(c->path_prefix, "/") == 0 && (r.body_len == 0 || r.body[0] != '{');
        if (!not_here || strlen(method) >= 200) {
            break;
        }
        char path[256];
        snprintf(path, sizeof path, "%s%s", other_prefixes[i], method);
        transport_result_free(&r);
        err = transport_post(c, path, body, 0, &r);
    }
    free(body);
    cJSON *resp = NULL;
    if (err == DSTACK_OK) {
        err = client_rpc_result(method, &r, &resp, response);
    }
    json_free(resp);
    return err;
}

static dstack_err call(struct dstack_client *c, const char *method, const char *json_body,
                       bool any_api, char **response)
{
    err_clear();
    if (c == NULL || method == NULL || response == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_call: NULL argument");
    }
    *response = NULL;
    cJSON *req = NULL;
    if (json_body != NULL) {
        struct json_error jerr;
        req = json_parse(json_body, strlen(json_body), 0, &jerr);
        if (req == NULL || !cJSON_IsObject(req)) {
            json_free(req);
            return err_set(DSTACK_EINVAL, "request body is not a JSON object: %s", jerr.text);
        }
    }
    dstack_err err = call_with_retry(c, method, req, any_api, response);
    json_free(req);
    return err;
}

dstack_err dstack_call(struct dstack_client *c, const char *method, const char *json_body,
                       char **response)
{
    return call(c, method, json_body, false, response);
}

dstack_err dstack_call_any_api(struct dstack_client *c, const char *method, const char *json_body,
                               char **response)
{
    return call(c, method, json_body, true, response);
}

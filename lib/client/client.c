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

static dstack_err client_create(const char *endpoint, const char *env_var, const char *const *paths,
                                size_t n_paths, const char *prefix,
                                const struct dstack_client_options *opts,
                                struct dstack_client **out)
{
    dstack_err err;
    if (out == NULL) {
        return client_fail(DSTACK_EINVAL, "dstack_client_new: out is NULL");
    }
    *out = NULL;
    if ((err = transport_global_init()) != DSTACK_OK) {
        return err;
    }
    struct dstack_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return client_fail(DSTACK_ENOMEM, "out of memory");
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
        return client_fail(DSTACK_EINVAL, "user_agent must not contain line breaks");
    }
    c->user_agent = jf_strdup(ua);
    if (c->user_agent == NULL || pthread_mutex_init(&c->pool_lock, NULL) != 0) {
        free(c->user_agent);
        free(c->endpoint);
        free(c);
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    *out = c;
    return DSTACK_OK;
}

dstack_err dstack_client_new(const char *endpoint, const struct dstack_client_options *opts,
                             struct dstack_client **out)
{
    client_clear_error();
    return client_create(endpoint, "DSTACK_SIMULATOR_ENDPOINT", dstack_paths,
                         sizeof dstack_paths / sizeof dstack_paths[0], "/", opts, out);
}

dstack_err dstack_tappd_client_new(const char *endpoint, const struct dstack_client_options *opts,
                                   dstack_log_fn log, void *log_user, struct dstack_client **out)
{
    client_clear_error();
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
    free(c->user_agent);
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

dstack_err dstack_call(struct dstack_client *c, const char *method, const char *json_body,
                       char **response)
{
    client_clear_error();
    if (c == NULL || method == NULL || response == NULL) {
        return client_fail(DSTACK_EINVAL, "dstack_call: NULL argument");
    }
    *response = NULL;
    json_t *req = NULL;
    if (json_body != NULL) {
        json_error_t jerr;
        req = json_loads(json_body, 0, &jerr);
        if (req == NULL || !json_is_object(req)) {
            json_decref(req);
            return client_fail(DSTACK_EINVAL, "request body is not a JSON object: %s", jerr.text);
        }
    }
    json_t *resp = NULL;
    dstack_err err = client_rpc(c, method, req, 0, &resp, response);
    json_decref(req);
    json_decref(resp);
    return err;
}

/* The async interface's typed submitters (include/dstack/client.h, "Async interface"): each
 * checks its arguments and builds its body as the blocking call does (client_*_request), then
 * queues the request on the driver (async.c). */
#include "client/async_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- submitting ---- */

/* Queues a request of `kind` posting req (taken; NULL = {}) to method. */
static dstack_err submit(struct dstack_async *a, enum async_kind kind, const char *method,
                         cJSON *req, union async_cb cb, void *user, dstack_async_id *id,
                         struct async_req **out)
{
    struct async_req *r = calloc(1, sizeof *r);
    char *body = req != NULL ? json_dump(req, 0, NULL) : jf_strdup("{}");
    char *m = jf_strdup(method);
    json_free(req);
    if (r == NULL || body == NULL || m == NULL) {
        free(r);
        free(body);
        free(m);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    r->kind = kind;
    r->cb = cb;
    r->user = user;
    r->method = m;
    r->body = body;
    r->id = a->next_id++;
    *out = r;
    if (id != NULL) {
        *id = r->id;
    }
    return DSTACK_OK;
}

static dstack_err begin(struct dstack_async *a, bool have_cb, dstack_async_id *id, const char *fn)
{
    err_clear();
    if (id != NULL) {
        *id = 0;
    }
    if (a == NULL || !have_cb) {
        return err_set(DSTACK_EINVAL, "%s: NULL argument", fn);
    }
    return DSTACK_OK;
}

/* Submit + launch for requests without a probe. */
static dstack_err simple(struct dstack_async *a, enum async_kind kind, const char *method,
                         cJSON *req, union async_cb cb, void *user, dstack_async_id *id)
{
    struct async_req *r = NULL;
    dstack_err err = submit(a, kind, method, req, cb, user, id, &r);
    return err == DSTACK_OK ? async_launch(a, r, id) : err;
}

dstack_err dstack_async_call(struct dstack_async *a, const char *method, const char *json_body,
                             dstack_async_call_fn cb, void *user, dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_call");
    if (err != DSTACK_OK) {
        return err;
    }
    if (method == NULL || method[0] == '\0') {
        return err_set(DSTACK_EINVAL, "dstack_async_call: empty method");
    }
    cJSON *req = NULL;
    if (json_body != NULL) {
        struct json_error jerr;
        req = json_parse(json_body, strlen(json_body), 0, &jerr);
        if (!cJSON_IsObject(req)) {
            json_free(req);
            return err_set(DSTACK_EINVAL, "request body is not a JSON object: %s", jerr.text);
        }
    }
    return simple(a, AK_CALL, method, req, (union async_cb){.call = cb}, user, id);
}

dstack_err dstack_async_get_key(struct dstack_async *a, const char *path, const char *purpose,
                                const char *algorithm, dstack_async_get_key_fn cb, void *user,
                                dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_get_key");
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_key_request(path, purpose, algorithm, &req);
    }
    struct async_req *r = NULL;
    if (err == DSTACK_OK) {
        err = submit(a, AK_GET_KEY, "GetKey", req, (union async_cb){.get_key = cb}, user, id, &r);
    }
    if (err == DSTACK_OK && client_key_needs_version(algorithm)) {
        r->probing = true;
        r->probe_algorithm = jf_strdup(algorithm);
        if (r->probe_algorithm == NULL) {
            async_req_free(r);
            if (id != NULL) {
                *id = 0;
            }
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
    }
    return err == DSTACK_OK ? async_launch(a, r, id) : err;
}

dstack_err dstack_async_get_tls_key(struct dstack_async *a,
                                    const struct dstack_tls_key_options *opts,
                                    dstack_async_get_tls_key_fn cb, void *user, dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_get_tls_key");
    struct dstack_tls_key_options defaults;
    if (opts == NULL) {
        dstack_tls_key_options_init(&defaults);
        opts = &defaults;
    }
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_tls_request(opts, &req);
    }
    struct async_req *r = NULL;
    if (err == DSTACK_OK) {
        err = submit(a, AK_TLS, "GetTlsKey", req, (union async_cb){.tls = cb}, user, id, &r);
    }
    if (err == DSTACK_OK && client_tls_needs_version(opts)) {
        r->probing = true;
        r->probe_tls = *opts;
        r->probe_tls.subject = NULL; /* only the has_* flags are used; no borrowed pointers */
        r->probe_tls.alt_names = NULL;
    }
    return err == DSTACK_OK ? async_launch(a, r, id) : err;
}

static dstack_err report_data_call(struct dstack_async *a, enum async_kind kind, const char *method,
                                   const uint8_t *data, size_t len, union async_cb cb, bool have_cb,
                                   void *user, dstack_async_id *id, const char *fn)
{
    dstack_err err = begin(a, have_cb, id, fn);
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_report_data_request(data, len, &req);
    }
    return err == DSTACK_OK ? simple(a, kind, method, req, cb, user, id) : err;
}

dstack_err dstack_async_get_quote(struct dstack_async *a, const uint8_t *report_data, size_t len,
                                  dstack_async_get_quote_fn cb, void *user, dstack_async_id *id)
{
    return report_data_call(a, AK_QUOTE, "GetQuote", report_data, len,
                            (union async_cb){.quote = cb}, cb != NULL, user, id,
                            "dstack_async_get_quote");
}

dstack_err dstack_async_attest(struct dstack_async *a, const uint8_t *report_data, size_t len,
                               dstack_async_attest_fn cb, void *user, dstack_async_id *id)
{
    return report_data_call(a, AK_ATTEST, "Attest", report_data, len,
                            (union async_cb){.attest = cb}, cb != NULL, user, id,
                            "dstack_async_attest");
}

dstack_err dstack_async_info(struct dstack_async *a, dstack_async_info_fn cb, void *user,
                             dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_info");
    return err == DSTACK_OK
               ? simple(a, AK_INFO, "Info", NULL, (union async_cb){.info = cb}, user, id)
               : err;
}

dstack_err dstack_async_version(struct dstack_async *a, dstack_async_version_fn cb, void *user,
                                dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_version");
    return err == DSTACK_OK
               ? simple(a, AK_VERSION, "Version", NULL, (union async_cb){.version = cb}, user, id)
               : err;
}

dstack_err dstack_async_sign(struct dstack_async *a, const char *algorithm, const uint8_t *data,
                             size_t len, dstack_async_sign_fn cb, void *user, dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_sign");
    if (err == DSTACK_OK && (algorithm == NULL || (len > 0 && data == NULL))) {
        err = err_set(DSTACK_EINVAL, "dstack_async_sign: NULL argument");
    }
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_sign_request(algorithm, data, len, &req);
    }
    return err == DSTACK_OK
               ? simple(a, AK_SIGN, "Sign", req, (union async_cb){.sign = cb}, user, id)
               : err;
}

dstack_err dstack_async_verify(struct dstack_async *a, const char *algorithm, const uint8_t *data,
                               size_t data_len, const uint8_t *sig, size_t sig_len,
                               const uint8_t *public_key, size_t pub_len, dstack_async_verify_fn cb,
                               void *user, dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_verify");
    if (err == DSTACK_OK && (algorithm == NULL || (data_len > 0 && data == NULL) ||
                             (sig_len > 0 && sig == NULL) || (pub_len > 0 && public_key == NULL))) {
        err = err_set(DSTACK_EINVAL, "dstack_async_verify: NULL argument");
    }
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_verify_request(algorithm, data, data_len, sig, sig_len, public_key, pub_len,
                                    &req);
    }
    return err == DSTACK_OK
               ? simple(a, AK_VERIFY, "Verify", req, (union async_cb){.verify = cb}, user, id)
               : err;
}

dstack_err dstack_async_emit_event(struct dstack_async *a, const char *event,
                                   const uint8_t *payload, size_t len, dstack_async_done_fn cb,
                                   void *user, dstack_async_id *id)
{
    dstack_err err = begin(a, cb != NULL, id, "dstack_async_emit_event");
    cJSON *req = NULL;
    if (err == DSTACK_OK) {
        err = client_emit_request(event, payload, len, &req);
    }
    return err == DSTACK_OK
               ? simple(a, AK_EMIT, "EmitEvent", req, (union async_cb){.done = cb}, user, id)
               : err;
}

/* The async interface: requests of one client as easy handles of a libcurl multi handle, each
 * finishing with one typed callback (include/dstack/client.h, "Async interface"). The request
 * bodies, client-side checks, transfer setup, error texts and decoders are the blocking calls'
 * own (client_*_request/_from_json, transport_prepare/complete, client_rpc_result), so both
 * paths behave alike; only the driving differs. */
#include "client/async_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

static const char probe_body[] = "{}";

/* ---- handles and request lifetime ---- */

static CURL *handle_take(struct dstack_async *a)
{
    return a->n_idle > 0 ? a->idle[--a->n_idle] : transport_handle_new(a->c);
}

static void handle_give(struct dstack_async *a, CURL *h)
{
    if (a->n_idle < ASYNC_IDLE_HANDLES) {
        a->idle[a->n_idle++] = h;
    } else {
        curl_easy_cleanup(h);
    }
}

/* Takes the request's handle out of the multi handle and back to the idle list. */
static void detach(struct dstack_async *a, struct async_req *r)
{
    if (r->h != NULL) {
        curl_multi_remove_handle(a->m, r->h);
        transport_xfer_release(r->h, &r->x);
        handle_give(a, r->h);
        r->h = NULL;
    }
}

void async_req_free(struct async_req *r)
{
    free(r->method);
    free(r->body);
    free(r->probe_algorithm);
    free(r);
}

static void unlink_req(struct dstack_async *a, struct async_req *r)
{
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        a->head = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
    r->prev = r->next = NULL;
    a->pending--;
}

/* Starts POST <method> for r (the probe when r->probing). */
static dstack_err start(struct dstack_async *a, struct async_req *r)
{
    const char *method = r->probing ? "Version" : r->method;
    const char *body = r->probing ? probe_body : r->body;
    CURL *h = handle_take(a);
    if (h == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = transport_prepare(a->c, h, method, body, 0, &r->x);
    if (err != DSTACK_OK) {
        handle_give(a, h);
        return err;
    }
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)r);
    CURLMcode mc = curl_multi_add_handle(a->m, h);
    if (mc != CURLM_OK) {
        transport_xfer_release(h, &r->x);
        handle_give(a, h);
        return err_set(DSTACK_ETRANSPORT, "libcurl: %s", curl_multi_strerror(mc));
    }
    r->h = h;
    return DSTACK_OK;
}

/* Decodes a key-bearing answer (GetKey, GetTlsKey, Sign) and runs r's callback; text is taken. */
static void deliver_keys(struct async_req *r, dstack_err err, const cJSON *resp, char *text)
{
    void *u = r->user;
    if (r->kind == AK_GET_KEY) {
        struct dstack_get_key_response *k = NULL;
        err = err == DSTACK_OK ? client_key_from_json(resp, text, &k) : err;
        r->cb.get_key(err, k, u);
    } else if (r->kind == AK_TLS) {
        struct dstack_get_tls_key_response *k = NULL;
        err = err == DSTACK_OK ? client_tls_key_from_json(resp, text, &k) : err;
        r->cb.tls(err, k, u);
    } else {
        struct dstack_sign_response *sg = NULL;
        err = err == DSTACK_OK ? client_sign_from_json(resp, text, &sg) : err;
        r->cb.sign(err, sg, u);
    }
}

/* Decodes an attestation or info answer (GetQuote, Attest, Info, Version) and runs r's
 * callback; text is taken. */
static void deliver_reports(struct async_req *r, dstack_err err, const cJSON *resp, char *text)
{
    void *u = r->user;
    if (r->kind == AK_QUOTE) {
        struct dstack_get_quote_response *q = NULL;
        err = err == DSTACK_OK ? client_quote_from_json(resp, text, &q) : err;
        r->cb.quote(err, q, u);
    } else if (r->kind == AK_ATTEST) {
        struct dstack_attest_response *at = NULL;
        err = err == DSTACK_OK ? client_attest_from_json(resp, text, &at) : err;
        r->cb.attest(err, at, u);
    } else if (r->kind == AK_INFO) {
        struct dstack_info_response *i = NULL;
        err = err == DSTACK_OK ? client_info_from_json(resp, text, &i) : err;
        r->cb.info(err, i, u);
    } else {
        struct dstack_version_response *v = NULL;
        err = err == DSTACK_OK ? client_version_from_json(resp, text, &v) : err;
        r->cb.version(err, v, u);
    }
}

/* Ends r: unlinks it, decodes the answer for its kind and runs its callback once. resp/text are
 * the parsed 2xx answer when err is DSTACK_OK (text is taken). dstack_last_error() holds the
 * message of err while the callback runs. */
static void complete(struct dstack_async *a, struct async_req *r, dstack_err err, cJSON *resp,
                     char *text)
{
    unlink_req(a, r);
    if (err == DSTACK_OK) {
        err_clear();
    }
    /* The typed decoders take text only on success; otherwise it is wiped and freed here. */
    char *taken = err == DSTACK_OK ? text : NULL;
    switch (r->kind) {
    case AK_CALL:
        r->cb.call(err, taken, r->user);
        break;
    case AK_GET_KEY:
    case AK_TLS:
    case AK_SIGN:
        deliver_keys(r, err, resp, taken);
        break;
    case AK_QUOTE:
    case AK_ATTEST:
    case AK_INFO:
    case AK_VERSION:
        deliver_reports(r, err, resp, taken);
        break;
    case AK_VERIFY: {
        bool valid = false;
        err = err == DSTACK_OK ? client_verify_from_json(resp, &valid) : err;
        r->cb.verify(err, valid, r->user);
        taken = NULL; /* the verify decoder does not take the text */
        break;
    }
    case AK_EMIT:
        r->cb.done(err, r->user);
        taken = NULL;
        break;
    }
    if (text != NULL && text != taken) {
        secret_wipe(text, strlen(text));
        free(text);
    }
    async_req_free(r);
}

/* A transfer of r finished with rc: map the outcome, chain after a probe, or complete. */
static void finished(struct dstack_async *a, struct async_req *r, CURLcode rc)
{
    const char *method = r->probing ? "Version" : r->method;
    struct client_http_result res;
    CURL *h = r->h;
    curl_multi_remove_handle(a->m, h);
    dstack_err err = transport_complete(a->c, h, method, rc, &r->x, &res);
    transport_xfer_release(h, &r->x);
    handle_give(a, h);
    r->h = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    if (err == DSTACK_OK) {
        bool want_text = !r->probing && r->kind != AK_VERIFY && r->kind != AK_EMIT;
        err = client_rpc_result(method, &res, &resp, want_text ? &text : NULL);
    }
    if (r->probing) {
        json_free(resp);
        r->probing = false;
        if (err != DSTACK_OK) {
            err = r->kind == AK_GET_KEY ? client_key_unsupported(r->probe_algorithm)
                                        : client_tls_unsupported(&r->probe_tls);
        } else {
            err = start(a, r);
        }
        if (err != DSTACK_OK) {
            complete(a, r, err, NULL, NULL);
        }
        return;
    }
    complete(a, r, err, resp, text);
    json_free(resp);
}

/* Runs the callbacks of every finished transfer. */
static void drain(struct dstack_async *a)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(a->m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        CURL *h = msg->easy_handle;
        CURLcode rc = msg->data.result; /* msg dies with curl_multi_remove_handle */
        char *priv = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
        if (priv != NULL) {
            finished(a, (struct async_req *)priv, rc);
        }
    }
}

/* ---- lifetime ---- */

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct dstack_async *a = userp;
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        events |= DSTACK_ASYNC_IN;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        events |= DSTACK_ASYNC_OUT;
    }
    if (a->watch != NULL) {
        a->watch((int)s, events, a->loop_user);
    }
    return 0;
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    struct dstack_async *a = userp;
    if (a->timer != NULL) {
        a->timer(timeout_ms, a->loop_user);
    }
    return 0;
}

dstack_err dstack_async_new(struct dstack_client *c, unsigned max_connections,
                            struct dstack_async **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_new: NULL argument");
    }
    *out = NULL;
    struct dstack_async *a = calloc(1, sizeof *a);
    if (a == NULL || (a->m = curl_multi_init()) == NULL) {
        free(a);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    a->c = c;
    a->next_id = 1;
    if (max_connections > 0) {
        curl_multi_setopt(a->m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_connections);
        curl_multi_setopt(a->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_connections);
    }
    *out = a;
    return DSTACK_OK;
}

size_t dstack_async_pending(const struct dstack_async *a)
{
    return a != NULL ? a->pending : 0;
}

static dstack_err cancel_req(struct dstack_async *a, struct async_req *r)
{
    detach(a, r);
    dstack_err err = err_set(DSTACK_ECANCELED, "request cancelled");
    complete(a, r, err, NULL, NULL);
    return DSTACK_OK;
}

dstack_err dstack_async_cancel(struct dstack_async *a, dstack_async_id id)
{
    err_clear();
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_cancel: NULL argument");
    }
    for (struct async_req *r = a->head; r != NULL; r = r->next) {
        if (r->id == id) {
            return cancel_req(a, r);
        }
    }
    return err_set(DSTACK_EINVAL, "no pending request %llu", (unsigned long long)id);
}

void dstack_async_free(struct dstack_async *a)
{
    if (a == NULL) {
        return;
    }
    /* A callback may submit more requests; they are cancelled in turn. */
    while (a->head != NULL) {
        (void)cancel_req(a, a->head);
    }
    for (size_t i = 0; i < a->n_idle; i++) {
        curl_easy_cleanup(a->idle[i]);
    }
    curl_multi_cleanup(a->m);
    free(a);
}

/* ---- driving ---- */

dstack_err dstack_async_perform(struct dstack_async *a, size_t *pending)
{
    err_clear();
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_perform: NULL argument");
    }
    int running = 0;
    CURLMcode mc = curl_multi_perform(a->m, &running);
    drain(a);
    if (pending != NULL) {
        *pending = a->pending;
    }
    return mc == CURLM_OK ? DSTACK_OK
                          : err_set(DSTACK_ETRANSPORT, "libcurl: %s", curl_multi_strerror(mc));
}

dstack_err dstack_async_wait(struct dstack_async *a, unsigned timeout_ms, size_t *pending)
{
    err_clear();
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_wait: NULL argument");
    }
    if (a->pending > 0) {
        /* curl_multi_poll shortens the wait to libcurl's own next timeout. */
        CURLMcode mc =
            curl_multi_poll(a->m, NULL, 0, (int)(timeout_ms > 60000 ? 60000 : timeout_ms), NULL);
        if (mc != CURLM_OK) {
            return err_set(DSTACK_ETRANSPORT, "libcurl: %s", curl_multi_strerror(mc));
        }
    }
    return dstack_async_perform(a, pending);
}

dstack_err dstack_async_run(struct dstack_async *a)
{
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_run: NULL argument");
    }
    size_t pending = a->pending;
    dstack_err err = dstack_async_perform(a, &pending);
    while (err == DSTACK_OK && pending > 0) {
        err = dstack_async_wait(a, 1000, &pending);
    }
    return err;
}

dstack_err dstack_async_set_loop(struct dstack_async *a, dstack_async_watch_fn watch,
                                 dstack_async_timer_fn timer, void *user)
{
    err_clear();
    if (a == NULL || watch == NULL || timer == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_set_loop: NULL argument");
    }
    a->watch = watch;
    a->timer = timer;
    a->loop_user = user;
    curl_multi_setopt(a->m, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(a->m, CURLMOPT_SOCKETDATA, a);
    curl_multi_setopt(a->m, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(a->m, CURLMOPT_TIMERDATA, a);
    return DSTACK_OK;
}

static dstack_err socket_action(struct dstack_async *a, curl_socket_t fd, int ev)
{
    int running = 0;
    CURLMcode mc = curl_multi_socket_action(a->m, fd, ev, &running);
    drain(a);
    return mc == CURLM_OK ? DSTACK_OK
                          : err_set(DSTACK_ETRANSPORT, "libcurl: %s", curl_multi_strerror(mc));
}

dstack_err dstack_async_on_socket(struct dstack_async *a, int fd, int events)
{
    err_clear();
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_on_socket: NULL argument");
    }
    int ev = ((events & DSTACK_ASYNC_IN) ? CURL_CSELECT_IN : 0) |
             ((events & DSTACK_ASYNC_OUT) ? CURL_CSELECT_OUT : 0);
    return socket_action(a, (curl_socket_t)fd, ev);
}

dstack_err dstack_async_on_timeout(struct dstack_async *a)
{
    err_clear();
    if (a == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_async_on_timeout: NULL argument");
    }
    return socket_action(a, CURL_SOCKET_TIMEOUT, 0);
}

/* Links r in and starts its first transfer; on failure r is freed and no callback runs. */
dstack_err async_launch(struct dstack_async *a, struct async_req *r, dstack_async_id *id)
{
    r->next = a->head;
    if (a->head != NULL) {
        a->head->prev = r;
    }
    a->head = r;
    a->pending++;
    dstack_err err = start(a, r);
    if (err != DSTACK_OK) {
        unlink_req(a, r);
        async_req_free(r);
        if (id != NULL) {
            *id = 0;
        }
    }
    return err;
}

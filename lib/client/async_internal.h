/* The async interface's request records, shared by its driver (async.c) and its typed
 * submitters (async_submit.c). Internal header: not installed. */
#ifndef DSTACK_CLIENT_ASYNC_INTERNAL_H
#define DSTACK_CLIENT_ASYNC_INTERNAL_H

#include "client/client_internal.h"

/* Easy handles kept for reuse between requests (connections live in the multi handle's cache). */
#define ASYNC_IDLE_HANDLES 64

enum async_kind {
    AK_CALL,
    AK_GET_KEY,
    AK_TLS,
    AK_QUOTE,
    AK_ATTEST,
    AK_INFO,
    AK_VERSION,
    AK_SIGN,
    AK_VERIFY,
    AK_EMIT,
};

union async_cb {
    dstack_async_call_fn call;
    dstack_async_get_key_fn get_key;
    dstack_async_get_tls_key_fn tls;
    dstack_async_get_quote_fn quote;
    dstack_async_attest_fn attest;
    dstack_async_info_fn info;
    dstack_async_version_fn version;
    dstack_async_sign_fn sign;
    dstack_async_verify_fn verify;
    dstack_async_done_fn done;
};

struct async_req {
    dstack_async_id id;
    enum async_kind kind;
    union async_cb cb;
    void *user;
    char *method; /* the RPC of the request */
    char *body;   /* its JSON body */
    /* Version probe (GetKey non-secp256k1, GetTlsKey 0.5.7 options), run first when set. */
    bool probing;
    char *probe_algorithm;                   /* GetKey: for the "not supported" text */
    struct dstack_tls_key_options probe_tls; /* GetTlsKey: which options were asked */
    CURL *h;                                 /* in the multi handle while non-NULL */
    struct transport_xfer x;
    struct async_req *prev, *next;
};

struct dstack_async {
    struct dstack_client *c;
    CURLM *m;
    struct async_req *head; /* pending requests */
    size_t pending;
    dstack_async_id next_id;
    CURL *idle[ASYNC_IDLE_HANDLES];
    size_t n_idle;
    dstack_async_watch_fn watch;
    dstack_async_timer_fn timer;
    void *loop_user;
};

/* Links r into a's pending list and starts its first transfer; on failure r is freed and no
 * callback runs (*id, when not NULL, is then 0). */
dstack_err async_launch(struct dstack_async *a, struct async_req *r, dstack_async_id *id);
void async_req_free(struct async_req *r);

#endif

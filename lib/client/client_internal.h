/* Private parts of the SDK client shared by the files of lib/client. */
#ifndef DSTACK_CLIENT_INTERNAL_H
#define DSTACK_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include <curl/curl.h>
#include "json/json.h"
#include "util/error.h"
#include "util/vsock.h"

#include <dstack/client.h>

/* Largest response body accepted: the agent caps requests at 10 MiB (docs/wire.md) and an
 * attestation is at most 10 MiB hex-encoded twice over inside GetQuote; 64 MiB bounds memory. */
#define CLIENT_MAX_RESPONSE (64u * 1024u * 1024u)

struct client_conn; /* one pooled libcurl easy handle (transport.c) */

struct dstack_client {
    char *endpoint; /* socket path or base URL without trailing '/' */
    enum dstack_endpoint_kind kind;
    const char *path_prefix;        /* "/" for dstack.sock, "/prpc/Tappd." for the legacy API */
    uint32_t vsock_cid, vsock_port; /* DSTACK_ENDPOINT_VSOCK (the Guest API client) */
    unsigned timeout_ms;
    struct curl_slist *headers; /* every request's, read-only once made (transport_headers_new) */
    dstack_log_fn log;
    void *log_user;
    pthread_mutex_t pool_lock; /* guards idle */
    struct client_conn *idle;  /* stack of idle connections */
};

/* Creates a client (client.c): endpoint resolution as dstack_endpoint_resolve, then prefix
 * before every method name. */
dstack_err client_create(const char *endpoint, const char *env_var, const char *const *paths,
                         size_t n_paths, const char *prefix,
                         const struct dstack_client_options *opts, struct dstack_client **out);

/* ---- transport (transport.c) ---- */

struct client_http_result {
    long status; /* HTTP status; 0 when no response arrived */
    char *body;  /* NUL-terminated, malloc'd (may hold NULs inside: use body_len) */
    size_t body_len;
    const char *endpoint; /* the client's, for messages (not owned) */
};

/* POSTs `body` to <prefix><method> and collects the answer. timeout_ms 0 = client default.
 * DSTACK_ETRANSPORT (with the libcurl reason) when no HTTP response came back. */
dstack_err transport_post(struct dstack_client *c, const char *method, const char *body,
                          unsigned timeout_ms, struct client_http_result *out);
void transport_result_free(struct client_http_result *r);

/* One transfer's state, split out so the async interface (async.c) drives the same setup and
 * error mapping on handles of a libcurl multi handle. */
struct transport_body {
    char *data;
    size_t len, cap;
    bool too_large;
};
struct transport_xfer {
    char *url;
    struct transport_body buf;
    char errbuf[CURL_ERROR_SIZE];
    unsigned timeout_ms;     /* resolved (never 0) */
    struct vsock_peer vsock; /* DSTACK_ENDPOINT_VSOCK: the peer, and why connecting failed */
};
/* The header lines every request of a client sends, with its User-Agent; NULL when out of memory.
 * transport_headers_free(NULL) does nothing. */
struct curl_slist *transport_headers_new(const char *user_agent);
void transport_headers_free(struct curl_slist *headers);
/* A new easy handle with the options every call of client c shares. */
CURL *transport_handle_new(struct dstack_client *c);
/* Sets h (from transport_handle_new for the same client) up for POST <prefix><method> with body
 * (borrowed until the transfer ends). */
dstack_err transport_prepare(struct dstack_client *c, CURL *h, const char *method, const char *body,
                             unsigned timeout_ms, struct transport_xfer *x);
/* Maps the outcome of a finished transfer: rc != CURLE_OK -> DSTACK_ETRANSPORT/EPROTO with the
 * texts of the blocking calls; else *out takes the body (any HTTP status). */
dstack_err transport_complete(struct dstack_client *c, CURL *h, const char *method, CURLcode rc,
                              struct transport_xfer *x, struct client_http_result *out);
/* Frees x's buffers and clears h's pointers to them (h may be NULL). */
void transport_xfer_release(CURL *h, struct transport_xfer *x);
void transport_pool_free(struct dstack_client *c);
dstack_err transport_global_init(void);

/* ---- RPC helpers (rpc_call.c) ---- */

/* POSTs `req` (borrowed; NULL = {}) to `method` and returns the parsed 2xx JSON object in *resp
 * and its text in *text (malloc'd; may be NULL if not wanted). A 4xx/5xx answer becomes
 * DSTACK_ESERVER with the agent's {"error"} text. */
dstack_err client_rpc(struct dstack_client *c, const char *method, cJSON *req, unsigned timeout_ms,
                      cJSON **resp, char **text);

/* The second half of client_rpc: turns an HTTP result into the parsed 2xx object (and its text,
 * taken from r, when text is non-NULL) or DSTACK_ESERVER/EPROTO. r's body is wiped and freed. */
dstack_err client_rpc_result(const char *method, struct client_http_result *r, cJSON **resp,
                             char **text);

/* Deprecation notes and informational lines go to the user's callback only. */
void client_log(const struct dstack_client *c, enum dstack_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builds a GetTlsKey/DeriveKey result from a response; takes ownership of text. */
dstack_err client_tls_key_from_json(const cJSON *obj, char *text,
                                    struct dstack_get_tls_key_response **out);
/* Builds a GetQuote/TdxQuote result from a response; takes ownership of text. */
dstack_err client_quote_from_json(const cJSON *obj, char *text,
                                  struct dstack_get_quote_response **out);
/* Builds an Info result; takes ownership of text. */
/* GetQuote for a relay (the sidecar): the answer's tree, checked like every answer, with nothing
 * decoded: the quote's hex goes out again as it came. */
dstack_err client_get_quote_tree(struct dstack_client *c, const uint8_t *report_data, size_t len,
                                 cJSON **resp);
dstack_err client_info_from_json(const cJSON *obj, char *text, struct dstack_info_response **out);

/* Request builders and result decoders of each RPC, shared by the blocking calls and the async
 * interface (async.c). Builders run the client-side checks (with their messages) and return a
 * new JSON object; decoders take ownership of text. */
bool client_key_needs_version(const char *algorithm);
dstack_err client_key_unsupported(const char *algorithm);
dstack_err client_key_request(const char *path, const char *purpose, const char *algorithm,
                              cJSON **req);
dstack_err client_key_from_json(const cJSON *obj, char *text, struct dstack_get_key_response **out);
bool client_tls_needs_version(const struct dstack_tls_key_options *o);
dstack_err client_tls_unsupported(const struct dstack_tls_key_options *o);
dstack_err client_tls_request(const struct dstack_tls_key_options *o, cJSON **req);
dstack_err client_check_report_data(const uint8_t *data, size_t len);
dstack_err client_report_data_request(const uint8_t *data, size_t len, cJSON **req);
dstack_err client_attest_from_json(const cJSON *obj, char *text,
                                   struct dstack_attest_response **out);
dstack_err client_emit_request(const char *event, const uint8_t *payload, size_t len, cJSON **req);
dstack_err client_sign_request(const char *algorithm, const uint8_t *data, size_t len, cJSON **req);
dstack_err client_sign_from_json(const cJSON *obj, char *text, struct dstack_sign_response **out);
dstack_err client_verify_request(const char *algorithm, const uint8_t *data, size_t data_len,
                                 const uint8_t *sig, size_t sig_len, const uint8_t *public_key,
                                 size_t pub_len, cJSON **req);
dstack_err client_verify_from_json(const cJSON *obj, bool *valid);
dstack_err client_version_from_json(const cJSON *obj, char *text,
                                    struct dstack_version_response **out);

/* ---- JSON field helpers (json_fields.c) ---- */

/* Copies the string member `key` (absent or null -> "") into *out (malloc'd). DSTACK_EPROTO when
 * present with another type. */
/* An object of up to three string members (NULL key ends the list); NULL when a value is NULL or
 * not UTF-8, or on OOM. */
cJSON *jf_strings(const char *k1, const char *v1, const char *k2, const char *v2, const char *k3,
                  const char *v3);

dstack_err jf_string(const cJSON *obj, const char *key, char **out);
/* Hex string member (absent -> empty) decoded into *out. */
dstack_err jf_hex(const cJSON *obj, const char *key, struct dstack_bytes *out);
/* jf_hex for bytes that are not secret (quotes, signatures): the faster, table-driven decoder. */
dstack_err jf_hex_public(const cJSON *obj, const char *key, struct dstack_bytes *out);
/* Array of hex strings. */
dstack_err jf_hex_array(const cJSON *obj, const char *key, struct dstack_bytes **out,
                        size_t *out_len);
/* Array of strings. */
dstack_err jf_string_array(const cJSON *obj, const char *key, char ***out, size_t *out_len);
/* Adds {"key": hex(data)} to obj. */
dstack_err jf_set_hex(cJSON *obj, const char *key, const uint8_t *data, size_t len);
void jf_bytes_array_free(struct dstack_bytes *a, size_t n);
void jf_string_array_free(char **a, size_t n);
char *jf_strdup(const char *s);

#endif

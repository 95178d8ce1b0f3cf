/* Private parts of the SDK client shared by the files of lib/client. */
#ifndef DSTACK_CLIENT_INTERNAL_H
#define DSTACK_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include <jansson.h>

#include <dstack/client.h>

/* Largest response body accepted: the agent caps requests at 10 MiB (wire-api.md §2.3) and an
 * attestation is at most 10 MiB hex-encoded twice over inside GetQuote; 64 MiB bounds memory. */
#define CLIENT_MAX_RESPONSE (64u * 1024u * 1024u)

struct client_conn; /* one pooled libcurl easy handle (transport.c) */

struct dstack_client {
    char *endpoint; /* socket path or base URL without trailing '/' */
    enum dstack_endpoint_kind kind;
    const char *path_prefix; /* "/" for dstack.sock, "/prpc/Tappd." for the legacy API */
    unsigned timeout_ms;
    char *user_agent;
    dstack_log_fn log;
    void *log_user;
    pthread_mutex_t pool_lock; /* guards idle */
    struct client_conn *idle;  /* stack of idle connections */
};

/* ---- errors (errmsg.c): thread-local text behind dstack_last_error() ---- */

/* Sets this thread's message and returns err, so callers can `return client_fail(...)`. */
dstack_err client_fail(dstack_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_clear_error(void);

/* ---- transport (transport.c) ---- */

struct client_http_result {
    long status; /* HTTP status; 0 when no response arrived */
    char *body;  /* NUL-terminated, malloc'd (may hold NULs inside: use body_len) */
    size_t body_len;
};

/* POSTs `body` to <prefix><method> and collects the answer. timeout_ms 0 = client default.
 * DSTACK_ETRANSPORT (with the libcurl reason) when no HTTP response came back. */
dstack_err transport_post(struct dstack_client *c, const char *method, const char *body,
                          unsigned timeout_ms, struct client_http_result *out);
void transport_result_free(struct client_http_result *r);
void transport_pool_free(struct dstack_client *c);
dstack_err transport_global_init(void);

/* ---- RPC helpers (rpc_call.c) ---- */

/* POSTs `req` (borrowed; NULL = {}) to `method` and returns the parsed 2xx JSON object in *resp
 * and its text in *text (malloc'd; may be NULL if not wanted). A 4xx/5xx answer becomes
 * DSTACK_ESERVER with the agent's {"error"} text. */
dstack_err client_rpc(struct dstack_client *c, const char *method, json_t *req, unsigned timeout_ms,
                      json_t **resp, char **text);

/* Deprecation notes and informational lines go to the user's callback only. */
void client_log(const struct dstack_client *c, enum dstack_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Builds a GetTlsKey/DeriveKey result from a response; takes ownership of text. */
dstack_err client_tls_key_from_json(const json_t *obj, char *text,
                                    struct dstack_get_tls_key_response **out);
/* Builds a GetQuote/TdxQuote result from a response; takes ownership of text. */
dstack_err client_quote_from_json(const json_t *obj, char *text,
                                  struct dstack_get_quote_response **out);
/* Builds an Info result; takes ownership of text. */
dstack_err client_info_from_json(const json_t *obj, char *text, struct dstack_info_response **out);

/* ---- JSON field helpers (json_fields.c) ---- */

/* Copies the string member `key` (absent or null -> "") into *out (malloc'd). DSTACK_EPROTO when
 * present with another type. */
dstack_err jf_string(const json_t *obj, const char *key, char **out);
/* Hex string member (absent -> empty) decoded into *out. */
dstack_err jf_hex(const json_t *obj, const char *key, struct dstack_bytes *out);
/* Array of hex strings. */
dstack_err jf_hex_array(const json_t *obj, const char *key, struct dstack_bytes **out,
                        size_t *out_len);
/* Array of strings. */
dstack_err jf_string_array(const json_t *obj, const char *key, char ***out, size_t *out_len);
/* Adds {"key": hex(data)} to obj. */
dstack_err jf_set_hex(json_t *obj, const char *key, const uint8_t *data, size_t len);
void jf_bytes_array_free(struct dstack_bytes *a, size_t n);
void jf_string_array_free(char **a, size_t n);
char *jf_strdup(const char *s);

#endif

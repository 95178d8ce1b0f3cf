/* libdstack client: talk to the dstack guest agent (dstack.sock, or the simulator over HTTP).
 *
 * The C counterpart of the Python SDK's DstackClient (upstream sdk/python/src/dstack_sdk);
 * behaviour and the choices where the official SDKs differ are in docs/sdk.md.
 *
 * Conventions of every function here:
 *  - outputs come last; a result allocated by the library has a named *_free (NULL is accepted);
 *  - the return value is a dstack_err; on failure the outputs are left NULL/zero and
 *    dstack_last_error() holds a message for this thread (errno-like), which includes the agent's
 *    {"error": "..."} text when the agent answered HTTP 400;
 *  - byte strings that travel as hex on the wire are decoded into struct dstack_bytes; text fields
 *    (PEM, JSON text) stay NUL-terminated strings;
 *  - every result keeps the agent's raw response as `json` (NUL-terminated JSON text).
 *
 * Thread safety: one struct dstack_client may be shared by any number of threads. Each call
 * borrows an idle connection (a libcurl easy handle keeping its HTTP/1.1 keep-alive connection)
 * from a pool inside the client, so sequential calls reuse connections.
 */
#ifndef DSTACK_CLIENT_H
#define DSTACK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>
#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Plain data types shared by the results
 */

/* An owned byte string (decoded from hex). data is NULL when len is 0. */
struct dstack_bytes {
    uint8_t *data;
    size_t len;
};

/* ---------------------------------------------------------------------------------------------
 * Client lifetime and endpoint resolution
 */

struct dstack_client; /* opaque */

/* Default request timeout and the reachability probe's (docs/sdk.md). */
#define DSTACK_DEFAULT_TIMEOUT_MS 3000u
#define DSTACK_REACHABLE_TIMEOUT_MS 500u

/* The four socket paths probed, in order, when neither an endpoint nor the environment names
 * one (docs/sdk.md); the first is also the fallback when none exists. */
#define DSTACK_SOCKET_PATHS                                                                        \
    {                                                                                              \
        "/var/run/dstack.sock", "/run/dstack.sock", "/var/run/dstack/dstack.sock",                 \
            "/run/dstack/dstack.sock"                                                              \
    }
#define DSTACK_TAPPD_SOCKET_PATHS                                                                  \
    {                                                                                              \
        "/var/run/tappd.sock", "/run/tappd.sock", "/var/run/dstack/tappd.sock",                    \
            "/run/dstack/tappd.sock"                                                               \
    }

/* Options of a client; zero-initialise then set what you need. */
struct dstack_client_options {
    unsigned timeout_ms;    /* per request, all phases; 0 = DSTACK_DEFAULT_TIMEOUT_MS */
    const char *user_agent; /* NULL = "dstack-sdk-c/<version>" */
};

/* Where a client connects (the outcome of endpoint resolution). */
enum dstack_endpoint_kind {
    DSTACK_ENDPOINT_UNIX = 0,  /* Unix socket path */
    DSTACK_ENDPOINT_HTTP = 1,  /* http:// or https:// base URL */
    DSTACK_ENDPOINT_VSOCK = 2, /* vsock://CID:PORT (dstack_guest_client_new only) */
};

/* Resolves the endpoint as every official SDK does (docs/sdk.md), without connecting:
 *   1. `endpoint` when non-NULL and non-empty;
 *   2. the environment variable `env_var` (DSTACK_SIMULATOR_ENDPOINT for the current API,
 *      TAPPD_SIMULATOR_ENDPOINT for the legacy one) when set and non-empty (an empty value counts
 *      as unset, like the JS SDK);
 *   3. the first existing path of `probe_paths` (n_probe entries);
 *   4. probe_paths[0] even if missing.
 * A value starting with http:// or https:// is an HTTP base URL; anything else is a Unix socket
 * path. An absolute socket path (starting with '/') chosen by steps 1-2 must exist, else
 * DSTACK_ETRANSPORT with "Unix socket file <path> does not exist" (the Python/JS text).
 * *out is a malloc'd string (free with free()). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_endpoint_resolve(const char *endpoint,
                                                                const char *env_var,
                                                                const char *const *probe_paths,
                                                                size_t n_probe, char **out,
                                                                enum dstack_endpoint_kind *kind);

/* Creates a client for the current API (dstack.sock). `endpoint` may be NULL (resolution above),
 * a socket path, or an http(s):// URL (a path prefix in the URL is kept: http://h/api + GetKey
 * -> http://h/api/GetKey). `opts` may be NULL. Errors: DSTACK_ETRANSPORT (missing socket file),
 * DSTACK_EINVAL, DSTACK_ENOMEM. Free with dstack_client_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_client_new(const char *endpoint,
                                                          const struct dstack_client_options *opts,
                                                          struct dstack_client **out);

/* Frees the client and closes its connections. NULL is accepted. No call on this client may be
 * in progress in another thread. */
DSTACK_API void dstack_client_free(struct dstack_client *c);

/* The resolved endpoint (socket path or base URL), owned by the client. */
DSTACK_API const char *dstack_client_endpoint(const struct dstack_client *c);

/* Log callback for deprecation warnings (legacy tappd calls) and informational notes such as
 * "Using simulator endpoint: ...". The library never writes to stdout/stderr itself. */
enum dstack_log_level { DSTACK_LOG_INFO = 0, DSTACK_LOG_WARN = 1 };
typedef void (*dstack_log_fn)(enum dstack_log_level level, const char *msg, void *user);
DSTACK_API void dstack_client_set_log(struct dstack_client *c, dstack_log_fn fn, void *user);

/* Low-level: POST /<method> with `json_body` (NULL = "{}") and return the 200 response body as
 * a malloc'd NUL-terminated string (free with free()). Every method below goes through it. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_call(struct dstack_client *c, const char *method,
                                                    const char *json_body, char **response);

/* dstack_call for a method named as its API names it, on any socket kind: when the socket
 * answers POST /<method> with 404 and no JSON (it serves the tappd or Worker API, under /prpc/),
 * POSTs /prpc/<method> (those APIs take the bare method name), and after another such 404
 * /api/<method> (the Guest API of guest.sock). Errors as dstack_call's. */
DSTACK_API dstack_err dstack_call_any_api(struct dstack_client *c, const char *method,
                                          const char *json_body, char **response);

/* ---------------------------------------------------------------------------------------------
 * GetKey — deterministic key derived from the app key (docs/api/GetKey.md, docs/sdk.md)
 */

struct dstack_get_key_response {
    uint8_t key[DSTACK_KEY_LEN];          /* the 32 derived bytes (secret) */
    size_t key_len;                       /* as returned; 32 from every known agent */
    struct dstack_bytes *signature_chain; /* [0] app-key signature, [1] KMS signature */
    size_t signature_chain_len;
    char *json;
};

/* Derives the key for `path` (NULL = ""). `purpose` (NULL = "") only enters the signature chain.
 * `algorithm`: NULL or "secp256k1" (default), "k256", "ed25519". For any algorithm other than
 * secp256k1/k256/"" the agent's Version RPC is called first, as the Python and JS SDKs do; when it
 * fails the error is DSTACK_EUNSUPPORTED with
 *   algorithm "<alg>" is not supported: OS version too old (Version RPC unavailable)
 * Free with dstack_get_key_response_free (which wipes the key). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_key(struct dstack_client *c, const char *path,
                                                       const char *purpose, const char *algorithm,
                                                       struct dstack_get_key_response **out);
DSTACK_API void dstack_get_key_response_free(struct dstack_get_key_response *k);

/* Decodes a GetKey response JSON (text) into a struct dstack_get_key_response — the Python
 * decode_key() and decode_signature_chain() in one. Free with dstack_get_key_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_get_key_response_decode(const char *json, struct dstack_get_key_response **out);

/* ---------------------------------------------------------------------------------------------
 * GetTlsKey — fresh random P-256 key and certificate chain (docs/api/GetTlsKey.md, docs/wire.md)
 */

struct dstack_tls_key_options {
    const char *subject;          /* NULL = "" */
    const char *const *alt_names; /* sent only when n_alt_names > 0 */
    size_t n_alt_names;
    bool usage_ra_tls;      /* default false */
    bool usage_server_auth; /* default true (Python/JS/Rust) */
    bool usage_client_auth; /* default false */
    /* The three options added in OS 0.5.7; each is sent only when its has_* flag is set, and
     * setting any of them makes the client call Version first (Python/JS behaviour). */
    bool has_not_before;
    uint64_t not_before; /* seconds since the epoch */
    bool has_not_after;
    uint64_t not_after;
    bool has_with_app_info;
    bool with_app_info;
};

/* Sets the defaults above (usage_server_auth = true, everything else off). */
DSTACK_API void dstack_tls_key_options_init(struct dstack_tls_key_options *o);

struct dstack_get_tls_key_response {
    char *key;                /* PKCS#8 PEM private key (secret) */
    char **certificate_chain; /* PEM certificates, leaf first */
    size_t certificate_chain_len;
    char *json;
};

/* Requests a TLS key. opts NULL = defaults. When any 0.5.7 option is set and Version fails:
 * DSTACK_EUNSUPPORTED with "TLS key options [not_before, not_after] are not supported: OS version
 * too old (Version RPC unavailable)" (only the options given, in that order).
 * Free with dstack_get_tls_key_response_free (wipes the key). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_get_tls_key(struct dstack_client *c, const struct dstack_tls_key_options *opts,
                   struct dstack_get_tls_key_response **out);
DSTACK_API void dstack_get_tls_key_response_free(struct dstack_get_tls_key_response *k);

/* The PKCS#8 DER bytes of the PEM key (the Python/JS as_uint8array()). max_len 0 = all of it;
 * otherwise exactly max_len bytes (zero-padded when the DER is shorter, as Python does).
 * *out is malloc'd; wipe and free it yourself (dstack_bytes_wipe_free). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_tls_key_response_der(
    const struct dstack_get_tls_key_response *k, size_t max_len, struct dstack_bytes *out);

/* Frees out->data after wiping it; sets it to {NULL, 0}. */
DSTACK_API void dstack_bytes_wipe_free(struct dstack_bytes *b);

/* ---------------------------------------------------------------------------------------------
 * GetQuote / Attest / EmitEvent (docs/api/GetQuote.md, docs/api/Attest.md; docs/sdk.md)
 */

struct dstack_get_quote_response {
    struct dstack_bytes quote;       /* TDX quote (empty on non-TDX platforms) */
    char *event_log;                 /* JSON array text */
    struct dstack_bytes report_data; /* 64 bytes, zero-padded by the agent ("" on old agents) */
    char *vm_config;                 /* JSON text ("" when absent) */
    struct dstack_bytes attestation; /* versioned attestation (empty when absent) */
    char *json;
};

/* Quote over `report_data` (len <= 64; empty allowed: the agent pads with zeros).
 * len > 64: DSTACK_EINVAL "report_data must be at most 64 bytes, got N" without a request.
 * Free with dstack_get_quote_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_quote(struct dstack_client *c,
                                                         const uint8_t *report_data, size_t len,
                                                         struct dstack_get_quote_response **out);
DSTACK_API void dstack_get_quote_response_free(struct dstack_get_quote_response *q);

/* Decodes q->event_log (the Python decode_event_log()) into *out (initialise it with
 * dstack_event_log_init; free with dstack_event_log_free). DSTACK_EFORMAT with the position of the
 * first bad entry in dstack_last_error(). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_quote_response_event_log(
    const struct dstack_get_quote_response *q, struct dstack_event_log *out);

/* RTMR0-3 replayed from q->event_log (correct for RTMR3: runtime digests are recomputed;
 * include/dstack/attest.h dstack_replay_rtmrs). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_quote_response_replay_rtmrs(
    const struct dstack_get_quote_response *q, uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN]);

struct dstack_attest_response {
    struct dstack_bytes attestation;
    char *json;
};

/* Versioned attestation over report_data (same checks as dstack_get_quote).
 * Free with dstack_attest_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_attest(struct dstack_client *c,
                                                      const uint8_t *report_data, size_t len,
                                                      struct dstack_attest_response **out);
DSTACK_API void dstack_attest_response_free(struct dstack_attest_response *a);

/* Extends RTMR3 with a runtime event (POST /EmitEvent; removed from upstream HEAD, kept by our
 * agent and by OS <= 0.5.x). Empty or NULL `event`: DSTACK_EINVAL "event name cannot be empty". */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_emit_event(struct dstack_client *c,
                                                          const char *event, const uint8_t *payload,
                                                          size_t len);

/* ---------------------------------------------------------------------------------------------
 * Info / Version / GpuInfo / reachability (docs/api/Info.md, docs/api/GpuInfo.md,
 * docs/api/Version.md)
 */

struct dstack_info_tcb {
    char *mrtd; /* hex, as the agent writes them */
    char *rtmr[4];
    char *mr_aggregated;
    char *os_image_hash;
    char *compose_hash;
    char *device_id;
    char *app_compose; /* the raw app-compose.json text */
    char *event_log;   /* the event log as JSON array text (parse with include/dstack/attest.h) */
};

struct dstack_info_response {
    char *app_id;
    char *instance_id;
    char *app_cert;
    char *app_name;
    char *device_id;
    char *mr_aggregated;
    char *os_image_hash;
    char *key_provider_info;
    char *compose_hash;
    char *vm_config;
    char *cloud_vendor;
    char *cloud_product;
    char *tcb_info_json; /* the tcb_info string as sent ("" when hidden) */
    char *json;
    /* private: dstack_info_tcb_info() decodes tcb_info_json here on first use */
    struct dstack_info_tcb *tcb_decoded;
};

/* Every string field is non-NULL ("" when the agent omitted it). tcb_info is decoded on first
 * access, by dstack_info_tcb_info (most callers read only the top-level fields, and the nested
 * document is half the answer's decoding cost). Free with dstack_info_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_info(struct dstack_client *c,
                                                    struct dstack_info_response **out);
DSTACK_API void dstack_info_response_free(struct dstack_info_response *i);

/* tcb_info as an object: decoded on the first call, then kept with the response (so calls on one
 * response must not race). *out is NULL when the agent hides tcb_info (""); DSTACK_EPROTO when
 * it is not a JSON object of strings (dstack_last_error() says which). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_info_tcb_info(struct dstack_info_response *i,
                                                             const struct dstack_info_tcb **out);

/* Decodes an Info response JSON, tcb_info included (eagerly: a malformed tcb_info fails here). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_info_response_decode(const char *json, struct dstack_info_response **out);

struct dstack_version_response {
    char *version;
    char *rev;
    char *json;
};
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_version(struct dstack_client *c,
                                                       struct dstack_version_response **out);
DSTACK_API void dstack_version_response_free(struct dstack_version_response *v);

struct dstack_gpu_info_response {
    char *attestation; /* verbatim nvattest output, or "" */
    char *json;
};
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_gpu_info(struct dstack_client *c,
                                                        struct dstack_gpu_info_response **out);
DSTACK_API void dstack_gpu_info_response_free(struct dstack_gpu_info_response *g);

/* true when POST /Info answers 2xx with JSON within DSTACK_REACHABLE_TIMEOUT_MS (or the client's
 * timeout when shorter). Never fails; c NULL -> false. */
DSTACK_API bool dstack_is_reachable(struct dstack_client *c);

/* ---------------------------------------------------------------------------------------------
 * Sign / Verify (docs/api/Sign.md, docs/api/Verify.md)
 */

struct dstack_sign_response {
    struct dstack_bytes signature;
    struct dstack_bytes public_key;
    struct dstack_bytes *signature_chain; /* [0] == signature, [1] app, [2] KMS */
    size_t signature_chain_len;
    char *json;
};

/* Signs `data` with the app's "vms" key. algorithm: "ed25519", "secp256k1" (ECDSA over
 * SHA-256(data)), "k256", "secp256k1_prehashed" (data must be a 32-byte digest; otherwise
 * DSTACK_EINVAL "Pre-hashed signing requires a 32-byte digest, but received N bytes" without a
 * request). Free with dstack_sign_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_sign(struct dstack_client *c, const char *algorithm,
                                                    const uint8_t *data, size_t len,
                                                    struct dstack_sign_response **out);
DSTACK_API void dstack_sign_response_free(struct dstack_sign_response *s);

/* Asks the agent to verify a signature. *valid is false for a well-formed wrong signature;
 * malformed keys/signatures come back as DSTACK_ESERVER with the agent's text. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_verify(struct dstack_client *c,
                                                      const char *algorithm, const uint8_t *data,
                                                      size_t data_len, const uint8_t *sig,
                                                      size_t sig_len, const uint8_t *public_key,
                                                      size_t pub_len, bool *valid);

/* ---------------------------------------------------------------------------------------------
 * Async interface — many requests at once without threads (the Python SDK's AsyncDstackClient)
 *
 * A struct dstack_async drives requests of one client on a libcurl multi handle. Submitting
 * returns at once; the request runs while the application calls dstack_async_perform() (or
 * dstack_async_run()/dstack_async_wait(), or the event-loop hooks below), and ends with exactly one
 * call of its callback: on success with the decoded response (owned by the callback: free it with
 * its *_free), otherwise with resp NULL and the error code; during the callback
 * dstack_last_error() holds the message (the same texts as the blocking calls, including the
 * agent's {"error"} text and DSTACK_ECANCELED "request cancelled").
 *
 * Callbacks run on the thread that drives the async object, from inside dstack_async_perform/
 * run/wait/on_socket/on_timeout/cancel/free. They may submit and cancel requests; they must not
 * call dstack_async_free. One struct dstack_async belongs to one thread at a time; the client may
 * meanwhile serve blocking calls on other threads. Checks that need no agent (report data over 64
 * bytes, empty event name, prehashed digest length) fail the submit call itself, with no callback.
 * GetKey with a non-secp256k1 algorithm and GetTlsKey with the 0.5.7 options probe Version first,
 * as the blocking calls do, chained inside the same request.
 */

struct dstack_async; /* opaque */

/* Request id: non-zero, unique within one struct dstack_async. */
typedef uint64_t dstack_async_id;

/* max_connections: connections kept to the agent at most (requests beyond wait in a queue inside
 * libcurl); 0 = no limit. The client must outlive the async object. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_new(struct dstack_client *c,
                                                         unsigned max_connections,
                                                         struct dstack_async **out);

/* Cancels every pending request (each callback runs with DSTACK_ECANCELED) and frees. NULL ok. */
DSTACK_API void dstack_async_free(struct dstack_async *a);

/* Requests not yet completed. */
DSTACK_API size_t dstack_async_pending(const struct dstack_async *a);

/* Cancels one request: its callback runs with DSTACK_ECANCELED before this returns.
 * DSTACK_EINVAL when the id is unknown or already completed. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_cancel(struct dstack_async *a,
                                                            dstack_async_id id);

/* Non-blocking: moves every transfer as far as it can go without waiting and runs the callbacks
 * of the finished ones. *pending (may be NULL) gets dstack_async_pending() afterwards. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_perform(struct dstack_async *a,
                                                             size_t *pending);

/* Blocks until some transfer can progress or timeout_ms passes (libcurl's poll), then performs.
 * Returns at once when nothing is pending. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_wait(struct dstack_async *a,
                                                          unsigned timeout_ms, size_t *pending);

/* Waits and performs until no request is pending. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_run(struct dstack_async *a);

/* Event-loop integration (libcurl's multi_socket model), instead of perform/wait/run — do not mix
 * the two on one async object. After dstack_async_set_loop, the library tells the loop which
 * sockets to watch and when to wake it:
 *   watch(fd, events, user): watch fd for DSTACK_ASYNC_IN and/or DSTACK_ASYNC_OUT; events 0 =
 *                             stop watching fd;
 *   timer(timeout_ms, user):  call dstack_async_on_timeout after timeout_ms (0 = as soon as
 *                             possible); -1 = cancel the timer.
 * The loop reports readiness with dstack_async_on_socket(a, fd, DSTACK_ASYNC_IN|OUT) and expiry
 * with dstack_async_on_timeout(a); both run the callbacks of finished requests. */
#define DSTACK_ASYNC_IN 1
#define DSTACK_ASYNC_OUT 2
typedef void (*dstack_async_watch_fn)(int fd, int events, void *user);
typedef void (*dstack_async_timer_fn)(long timeout_ms, void *user);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_set_loop(struct dstack_async *a,
                                                              dstack_async_watch_fn watch,
                                                              dstack_async_timer_fn timer,
                                                              void *user);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_on_socket(struct dstack_async *a, int fd,
                                                               int events);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_on_timeout(struct dstack_async *a);

/* Callbacks: err is DSTACK_OK with resp non-NULL (yours to free), or an error with resp NULL. */
typedef void (*dstack_async_call_fn)(dstack_err err, char *response, void *user);
typedef void (*dstack_async_get_key_fn)(dstack_err err, struct dstack_get_key_response *resp,
                                        void *user);
typedef void (*dstack_async_get_tls_key_fn)(dstack_err err,
                                            struct dstack_get_tls_key_response *resp, void *user);
typedef void (*dstack_async_get_quote_fn)(dstack_err err, struct dstack_get_quote_response *resp,
                                          void *user);
typedef void (*dstack_async_attest_fn)(dstack_err err, struct dstack_attest_response *resp,
                                       void *user);
typedef void (*dstack_async_info_fn)(dstack_err err, struct dstack_info_response *resp, void *user);
typedef void (*dstack_async_version_fn)(dstack_err err, struct dstack_version_response *resp,
                                        void *user);
typedef void (*dstack_async_sign_fn)(dstack_err err, struct dstack_sign_response *resp, void *user);
/* Verify: valid is meaningful only when err is DSTACK_OK. EmitEvent: err only. */
typedef void (*dstack_async_verify_fn)(dstack_err err, bool valid, void *user);
typedef void (*dstack_async_done_fn)(dstack_err err, void *user);

/* Submitters: the arguments and checks of the blocking call of the same name; the data are copied,
 * so they need not outlive the call. *id (may be NULL) receives the request id. On failure no
 * callback will run. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_call(struct dstack_async *a,
                                                          const char *method, const char *json_body,
                                                          dstack_async_call_fn cb, void *user,
                                                          dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_get_key(struct dstack_async *a,
                                                             const char *path, const char *purpose,
                                                             const char *algorithm,
                                                             dstack_async_get_key_fn cb, void *user,
                                                             dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_async_get_tls_key(struct dstack_async *a, const struct dstack_tls_key_options *opts,
                         dstack_async_get_tls_key_fn cb, void *user, dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_get_quote(struct dstack_async *a,
                                                               const uint8_t *report_data,
                                                               size_t len,
                                                               dstack_async_get_quote_fn cb,
                                                               void *user, dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_attest(struct dstack_async *a,
                                                            const uint8_t *report_data, size_t len,
                                                            dstack_async_attest_fn cb, void *user,
                                                            dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_info(struct dstack_async *a,
                                                          dstack_async_info_fn cb, void *user,
                                                          dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_version(struct dstack_async *a,
                                                             dstack_async_version_fn cb, void *user,
                                                             dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_sign(struct dstack_async *a,
                                                          const char *algorithm,
                                                          const uint8_t *data, size_t len,
                                                          dstack_async_sign_fn cb, void *user,
                                                          dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_async_verify(struct dstack_async *a, const char *algorithm, const uint8_t *data,
                    size_t data_len, const uint8_t *sig, size_t sig_len, const uint8_t *public_key,
                    size_t pub_len, dstack_async_verify_fn cb, void *user, dstack_async_id *id);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_async_emit_event(struct dstack_async *a,
                                                                const char *event,
                                                                const uint8_t *payload, size_t len,
                                                                dstack_async_done_fn cb, void *user,
                                                                dstack_async_id *id);

/* ---------------------------------------------------------------------------------------------
 * Legacy tappd API (tappd.sock, /prpc/Tappd.<Method>; docs/sdk.md). Deprecated: each
 * call reports the upstream warning text through the log callback, never to stdout.
 */

/* Creates a legacy client: TAPPD_SIMULATOR_ENDPOINT and the tappd socket paths. Logs
 * "TappdClient is deprecated, please use DstackClient instead". Free with dstack_client_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_tappd_client_new(const char *endpoint, const struct dstack_client_options *opts,
                        dstack_log_fn log, void *log_user, struct dstack_client **out);

/* DeriveKey: deterministic P-256 key + certificate for `path`. subject NULL = path (as the SDKs
 * send). Result as GetTlsKey. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_tappd_derive_key(
    struct dstack_client *c, const char *path, const char *subject, const char *const *alt_names,
    size_t n_alt_names, struct dstack_get_tls_key_response **out);

/* TdxQuote: hash_algorithm NULL or "raw": report_data (<= 64 bytes) is left-padded with zeros to
 * 64 as the SDKs do; otherwise sent as is and hashed by the agent ("sha256" ... "keccak512").
 * Result: quote and event_log (report_data/vm_config/attestation empty). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_tappd_tdx_quote(struct dstack_client *c, const uint8_t *report_data, size_t len,
                       const char *hash_algorithm, struct dstack_get_quote_response **out);

/* RawQuote: report_data must be exactly 64 bytes. */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_tappd_raw_quote(struct dstack_client *c, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                       struct dstack_get_quote_response **out);

/* /prpc/Tappd.Info, decoded like dstack_info. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_tappd_info(struct dstack_client *c,
                                                          struct dstack_info_response **out);

/* ---------------------------------------------------------------------------------------------
 * Worker API (the public listener, docs/api/Worker.md) and Guest API (the host's listener,
 * docs/api/GuestApi.md) clients. Both are dstack_client objects: free them with
 * dstack_client_free. On a Worker client, dstack_info and dstack_version call Worker.Info and
 * Worker.Version; dstack_call reaches any method of either API.
 */

/* endpoint (required): a socket path (the simulator's external.sock) or http(s)://host:port
 * (upstream's :8090). Paths become /prpc/Worker.<Method>. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_worker_client_new(
    const char *endpoint, const struct dstack_client_options *opts, struct dstack_client **out);

/* Worker.GetAttestationForAppKey: a quote naming the public key of Sign's key of `algorithm`
 * ("secp256k1", "k256" or "ed25519"). Free with dstack_get_quote_response_free. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_worker_get_attestation_for_app_key(
    struct dstack_client *c, const char *algorithm, struct dstack_get_quote_response **out);

/* endpoint (required): a socket path (the simulator's guest.sock), an http(s) URL, or
 * vsock://CID:PORT (the VMM's view: vsock://<cid>:8000). Paths become /api/<Method>. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_guest_client_new(
    const char *endpoint, const struct dstack_client_options *opts, struct dstack_client **out);

struct dstack_guest_disk {
    char *name;                     /* the mounted device */
    char *mount_point;              /* one of the agent's data disks */
    uint64_t total_size, free_size; /* bytes */
};

/* GuestApi.SysInfo (docs/api/guest-SysInfo.md). Sizes in bytes, load x 100. */
struct dstack_guest_sysinfo {
    char *os_name, *os_version, *kernel_version, *cpu_model;
    uint32_t num_cpus;
    uint64_t total_memory, available_memory, used_memory, free_memory;
    uint64_t total_swap, used_swap, free_swap;
    uint64_t uptime; /* seconds */
    uint32_t loadavg_one, loadavg_five, loadavg_fifteen;
    struct dstack_guest_disk *disks;
    size_t n_disks;
    char *json; /* the answer as received */
};
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_guest_sysinfo(struct dstack_client *c,
                                                             struct dstack_guest_sysinfo **out);
DSTACK_API void dstack_guest_sysinfo_free(struct dstack_guest_sysinfo *s);

/* GuestApi.ListContainers (docs/api/guest-ListContainers.md). */
struct dstack_guest_container {
    char *id;
    char **names; /* Docker's, with their leading '/' */
    size_t n_names;
    char *image, *image_id;
    int64_t created; /* Unix seconds */
    char *state, *status;
};
struct dstack_guest_containers {
    struct dstack_guest_container *items;
    size_t n;
    char *json; /* the answer as received */
};
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_guest_list_containers(struct dstack_client *c, struct dstack_guest_containers **out);
DSTACK_API void dstack_guest_containers_free(struct dstack_guest_containers *r);

/* GuestApi.Info and GuestApi.NetworkInfo as JSON text (malloc'd; free with free()). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_guest_info_json(struct dstack_client *c,
                                                               char **json);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_guest_network_info_json(struct dstack_client *c,
                                                                       char **json);

/* GuestApi.Shutdown: asks the agent to notify the host and power the VM off
 * (docs/api/guest-Shutdown.md). DSTACK_OK once the agent accepted (it answers before the work
 * happens); DSTACK_ESERVER with the agent's message when it refuses (allow_shutdown = false). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_guest_shutdown(struct dstack_client *c);

#ifdef __cplusplus
}
#endif
#endif

/* One prpc call to a KMS over mutual TLS (upstream ra-rpc RaClient, dstack/ra-rpc/src/client.rs):
 * POST <url>/<Method>?json with a JSON body, the agent's RA-TLS certificate as the client
 * certificate, and the keys file's ca_cert as the only trusted root (no system roots, host name
 * checked). Timeouts default to reqwest's as upstream sets them: 5 s to connect, 60 s in all. */
#ifndef DSTACK_AGENT_KMS_HTTP_H
#define DSTACK_AGENT_KMS_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <dstack/common.h>

#define KMS_REPLY_MAX (1u << 20)             /* a chain of three certificates is ~10 KiB */
#define KMS_CONNECT_TIMEOUT_MS_DEFAULT 5000u /* client.rs: connect_timeout(5 s) */
#define KMS_TIMEOUT_MS_DEFAULT 60000u        /* client.rs: timeout(60 s) */

/* Everything one call needs; every pointer is borrowed. */
struct kms_endpoint {
    const char *url;      /* keys file key_provider.Kms.url, e.g. https://kms:8000/prpc */
    const char *ca_pem;   /* keys file ca_cert */
    const char *cert_pem; /* the client RA-TLS certificate */
    const char *key_pem;  /* its PKCS#8 key (locked memory; handed to curl without a copy) */
    size_t key_pem_len;
    unsigned connect_timeout_ms;
    unsigned timeout_ms;
    const atomic_bool *cancel; /* set = abort the call (agent shutdown); may be NULL */
};

/* Sets up libcurl once; call before any thread runs a call. */
dstack_err kms_http_global_init(void);

/* POSTs body to <url>/<method>?json. On HTTP 200 *reply (malloc'd, NUL-terminated) holds the
 * answer. Otherwise the error text (util/error.h) says why, naming the URL (user info hidden)
 * and the cause: connection, timeout, TLS, HTTP status with the KMS's own {"error"} text, or a
 * truncated/oversized answer. */
dstack_err kms_http_post(const struct kms_endpoint *ep, const char *method, const char *body,
                         char **reply, size_t *reply_len);

/* The URL as it may appear in messages and logs: "user:pass@" replaced by "***@". */
void kms_url_for_log(const char *url, char *out, size_t cap);

#endif

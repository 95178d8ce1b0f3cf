/* The KMS transport: libcurl with OpenSSL (see kms_http.h). A new easy handle per call keeps
 * calls independent across the agent's worker threads; the TLS identity is passed as blobs so
 * that no key touches the file system. */
#include "kms/kms_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "heap_wipe.h"
#include "json/json.h"
#include "util/error.h"
#include "util/secret.h"

struct reply_buf {
    char *p;
    size_t len;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    struct reply_buf *r = user;
    size_t add = size * n;
    if (add > KMS_REPLY_MAX - r->len) {
        r->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    char *grown = realloc(r->p, r->len + add + 1);
    if (grown == NULL) {
        return 0;
    }
    memcpy(grown + r->len, data, add);
    r->p = grown;
    r->len += add;
    r->p[r->len] = '\0';
    return add;
}

/* Lets a stopping agent end a call at once instead of after the timeout. */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const atomic_bool *cancel = user;
    return cancel != NULL && atomic_load(cancel) ? 1 : 0;
}

dstack_err kms_http_global_init(void)
{
    /* libcurl's blocks are wiped on free as cJSON's and OpenSSL's are (heap_wipe.h): its TLS
     * set-up and buffers pass through the client key and the KMS's answers. */
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, heap_wipe_free, heap_wipe_realloc,
                                strdup, calloc) == CURLE_OK
               ? DSTACK_OK
               : DSTACK_EIO;
}

void kms_url_for_log(const char *url, char *out, size_t cap)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme != NULL ? scheme + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    if (at != NULL && (slash == NULL || at < slash)) {
        snprintf(out, cap, "%.*s***%s", (int)(host - url), url, at);
    } else {
        snprintf(out, cap, "%s", url);
    }
}

/* Printable ASCII only, at most cap-1 bytes: a KMS's error text goes into our answers and logs. */
static void clean_text(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
    }
    out[o] = '\0';
}

/* The cause of a non-200 answer: the prpc {"error": "..."} text when there is one
 * (ra-rpc/src/lib.rs encode_error), else the start of the body. */
static void http_error_text(long status, const struct reply_buf *r, char *out, size_t cap)
{
    char text[300] = "";
    cJSON *doc = r->p != NULL ? json_parse(r->p, r->len, 0, NULL) : NULL;
    const char *msg = json_get_str(doc, "error");
    if (msg != NULL) {
        clean_text(msg, strlen(msg), text, sizeof text);
    } else if (r->p != NULL) {
        clean_text(r->p, r->len, text, sizeof text);
    }
    json_free(doc);
    snprintf(out, cap, "the KMS refused (HTTP %ld): %s", status, text[0] ? text : "(no body)");
}

static void curl_cause(CURLcode rc, const char *detail, const struct kms_endpoint *ep, bool too_big,
                       char *out, size_t cap)
{
    const char *what;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        what = "cannot connect";
        break;
    case CURLE_OPERATION_TIMEDOUT:
        what = "timed out";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        what = "TLS: the server certificate is not trusted by the keys file's ca_cert";
        break;
    case CURLE_SSL_CONNECT_ERROR:
        what = "TLS handshake failed";
        break;
    case CURLE_SSL_CERTPROBLEM:
        what = "TLS: the client certificate was refused locally";
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        what = "cancelled: the agent is stopping";
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        what = "truncated answer";
        break;
    default:
        what = curl_easy_strerror(rc);
        break;
    }
    if (too_big) {
        snprintf(out, cap, "answer larger than %u bytes", KMS_REPLY_MAX);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(out, cap, "%s (connect limit %u ms, total limit %u ms): %s", what,
                 ep->connect_timeout_ms, ep->timeout_ms, detail);
    } else {
        snprintf(out, cap, "%s: %s", what, detail[0] ? detail : curl_easy_strerror(rc));
    }
}

static bool set_tls(CURL *c, const struct kms_endpoint *ep)
{
    /* NOCOPY: curl reads our buffers in place, so the key never lands in curl's heap. */
    struct curl_blob cert = {(void *)ep->cert_pem, strlen(ep->cert_pem), CURL_BLOB_NOCOPY};
    struct curl_blob key = {(void *)ep->key_pem, ep->key_pem_len, CURL_BLOB_NOCOPY};
    struct curl_blob ca = {(void *)ep->ca_pem, strlen(ep->ca_pem), CURL_BLOB_NOCOPY};
    return curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM") == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM") == CURLE_OK &&
           /* Only the keys file's CA: no CA bundle, no CA directory (tls_built_in_root_certs
            * false in cert-client/src/lib.rs). */
           curl_easy_setopt(c, CURLOPT_CAINFO, NULL) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_CAPATH, NULL) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
}

dstack_err kms_http_post(const struct kms_endpoint *ep, const char *method, const char *body,
                         char **reply, size_t *reply_len)
{
    char url[2048], shown[1024], detail[CURL_ERROR_SIZE] = "", cause[400] = "";
    struct reply_buf r = {0};
    struct curl_slist *hdr = NULL;
    dstack_err e = DSTACK_ETRANSPORT;
    long status = 0;
    CURL *c = curl_easy_init();

    *reply = NULL;
    *reply_len = 0;
    kms_url_for_log(ep->url, shown, sizeof shown);
    /* <url>/<Method>?json (ra-rpc/src/client.rs RequestClient::request). */
    int n = snprintf(url, sizeof url, "%s/%s?json", ep->url, method);
    hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (c == NULL || hdr == NULL || n < 0 || (size_t)n >= sizeof url) {
        err_set(e, "KMS %.300s %s: cannot set up the request", shown, method);
        goto out;
    }
    if (!set_tls(c, ep) || curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)ep->cancel) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ep->connect_timeout_ms) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ep->timeout_ms) != CURLE_OK) {
        err_set(e, "KMS %.300s %s: cannot set up the request (https only)", shown, method);
        goto out;
    }
    CURLcode rc = curl_easy_perform(c);
    long verify = X509_V_OK;
    if (rc == CURLE_SSL_CONNECT_ERROR &&
        curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify) == CURLE_OK &&
        verify != X509_V_OK) {
        /* A refused server certificate that OpenSSL reports as a handshake error (a signature
         * that does not verify under a CA of the same name): name the trust failure. */
        snprintf(detail, sizeof detail, "%s", X509_verify_cert_error_string(verify));
        rc = CURLE_PEER_FAILED_VERIFICATION;
    }
    if (rc != CURLE_OK) {
        curl_cause(rc, detail, ep, r.too_big, cause, sizeof cause);
        err_set(e, "KMS %.200s %.16s: %.280s", shown, method, cause);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        http_error_text(status, &r, cause, sizeof cause);
        e = err_set(DSTACK_EPROTO, "KMS %.200s %.16s: %.280s", shown, method, cause);
        goto out;
    }
    *reply = r.p != NULL ? r.p : strdup("");
    *reply_len = r.len;
    r.p = NULL;
    e = *reply != NULL ? DSTACK_OK
                       : err_set(DSTACK_ENOMEM, "KMS %.200s %.16s: out of memory", shown, method);
out:
    free(r.p);
    curl_slist_free_all(hdr);
    if (c != NULL) {
        curl_easy_cleanup(c);
    }
    return e;
}

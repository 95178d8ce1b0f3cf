/* One GET for the PCCS client: libcurl, a size cap on the body, a deadline, and the issuer-chain
 * header (URL-encoded PEM, PCS API v4) decoded. */
#include "pccs_http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "dcap.h"

#define PCCS_MAX_BODY (4u << 20)
#define PCCS_MAX_HEADER 16384

struct sink {
    struct pccs_answer *a;
    const char *header; /* the header whose value we keep */
    bool too_big;
};

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
    struct sink *s = u;
    size_t len = sz * n;
    if (len > PCCS_MAX_BODY - s->a->body_len) {
        s->too_big = true;
        return 0;
    }
    char *nb = realloc(s->a->body, s->a->body_len + len + 1);
    if (nb == NULL) {
        return 0;
    }
    memcpy(nb + s->a->body_len, p, len);
    s->a->body = nb;
    s->a->body_len += len;
    nb[s->a->body_len] = '\0';
    return len;
}

/* Does the header line start with name + ':', or "SGX-" name + ':' (PCS v3 names)? */
static size_t header_name_len(const char *p, size_t len, const char *name)
{
    size_t k = strlen(name);
    if (len > k + 1 && strncasecmp(p, name, k) == 0 && p[k] == ':') {
        return k;
    }
    if (len > k + 5 && strncasecmp(p, "SGX-", 4) == 0 && strncasecmp(p + 4, name, k) == 0 &&
        p[k + 4] == ':') {
        return k + 4;
    }
    return 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u)
{
    struct sink *s = u;
    size_t len = sz * n;
    size_t klen = s->header != NULL ? header_name_len(p, len, s->header) : 0;
    if (klen == 0 || len > PCCS_MAX_HEADER) {
        return len;
    }
    const char *v = p + klen + 1;
    size_t vlen = len - klen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++, vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) {
        vlen--;
    }
    int out_len = 0;
    char *dec = curl_easy_unescape(NULL, v, (int)vlen, &out_len);
    if (dec != NULL) {
        free(s->a->header_value);
        s->a->header_value = strndup(dec, (size_t)out_len);
        curl_free(dec);
    }
    return len;
}

dstack_err pccs_http_get(const char *url, const char *header, long timeout_ms,
                         struct pccs_answer *a)
{
    struct sink s = {.a = a, .header = header};
    CURL *h = curl_easy_init();
    long status = 0;
    memset(a, 0, sizeof *a);
    if (h == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        err_set(DSTACK_ETRANSPORT, "GET %s: %s", url,
                s.too_big ? "answer larger than 4 MiB" : curl_easy_strerror(rc));
        pccs_answer_clear(a);
        return DSTACK_ETRANSPORT; /* the text is set above */
    }
    if (status != 200) {
        err_set(DSTACK_EPROTO, "GET %s: HTTP %ld", url, status);
        pccs_answer_clear(a);
        return DSTACK_EPROTO;
    }
    if (header != NULL && a->header_value == NULL) {
        err_set(DSTACK_EPROTO, "GET %s: no %s header", url, header);
        pccs_answer_clear(a);
        return DSTACK_EPROTO;
    }
    return DSTACK_OK;
}

void pccs_answer_clear(struct pccs_answer *a)
{
    free(a->body);
    free(a->header_value);
    memset(a, 0, sizeof *a);
}

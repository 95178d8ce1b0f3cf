/* One RPC: JSON in, JSON out, errors mapped the way docs/sdk.md recommends
 * (every non-2xx answer is an error carrying the agent's {"error"} text). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

/* Keeps error messages readable when a proxy answers with an HTML page. */
#define BODY_EXCERPT_SHORT 60

/* An answer that is not the dstack API's: name the endpoint and the likely cause (a socket of
 * another API answers our paths with an HTML 404 page), quoting a short, printable excerpt. */
static dstack_err not_dstack_answer(dstack_err code, const char *method,
                                    const struct client_http_result *r)
{
    char excerpt[BODY_EXCERPT_SHORT + 1];
    size_t n = 0;
    for (size_t i = 0; i < r->body_len && n < BODY_EXCERPT_SHORT; i++) {
        char ch = r->body[i];
        excerpt[n++] = (ch >= 0x20 && ch < 0x7f) ? ch : ' ';
    }
    excerpt[n] = '\0';
    return err_set(code,
                   "%s: %s answered HTTP %ld with %s, not a dstack API answer: is it the "
                   "dstack socket? (tappd.sock serves the tappd API, external.sock the "
                   "Worker API; `dstack call METHOD` reaches any of them)%s%s%s",
                   method, r->endpoint ? r->endpoint : "the agent", r->status,
                   r->body_len ? "a body that is not JSON" : "an empty body", n ? " [" : "",
                   excerpt, n ? "]" : "");
}

static bool carries_keys(const char *method)
{
    static const char *const key_methods[] = {"GetKey", "GetTlsKey", "DeriveKey", "DeriveK256Key"};
    for (size_t i = 0; i < sizeof key_methods / sizeof key_methods[0]; i++) {
        if (strcmp(method, key_methods[i]) == 0) {
            return true;
        }
    }
    return false;
}

dstack_err client_rpc_result(const char *method, struct client_http_result *r, cJSON **resp,
                             char **text)
{
    dstack_err err = DSTACK_OK;
    *resp = NULL;
    if (text != NULL) {
        *text = NULL;
    }
    struct json_error jerr;
    cJSON *parsed = json_parse(r->body, r->body_len, JSON_DUPS_LAST, &jerr);
    if (cJSON_IsNull(parsed) && r->status >= 200 && r->status < 300) {
        /* `null` is how upstream's prpc encodes a google.protobuf.Empty answer (serde of `()`,
         * docs/api/EmitEvent.md): an answer without fields. */
        json_free(parsed);
        parsed = cJSON_CreateObject();
    }
    const cJSON *e = cJSON_IsObject(parsed) ? json_get(parsed, "error") : NULL;
    if (r->status < 200 || r->status >= 300) {
        err = cJSON_IsString(e) ? err_set(DSTACK_ESERVER, "%s failed (HTTP %ld): %s", method,
                                          r->status, json_str(e))
                                : not_dstack_answer(DSTACK_ESERVER, method, r);
        goto out;
    }
    if (!cJSON_IsObject(parsed)) {
        err = not_dstack_answer(DSTACK_EPROTO, method, r);
        goto out;
    }
    if (text != NULL) {
        *text = r->body;
        r->body = NULL;
    }
    *resp = parsed;
    parsed = NULL;
out:
    json_free(parsed);
    /* Responses of the key methods carry key material; a 29 KB quote does not need the wipe. */
    if (r->body != NULL && carries_keys(method)) {
        secret_wipe(r->body, r->body_len);
    }
    transport_result_free(r);
    return err;
}

dstack_err client_rpc(struct dstack_client *c, const char *method, cJSON *req, unsigned timeout_ms,
                      cJSON **resp, char **text)
{
    struct client_http_result r = {0};
    *resp = NULL;
    if (text != NULL) {
        *text = NULL;
    }
    char *body = req != NULL ? json_dump(req, 0, NULL) : jf_strdup("{}");
    if (body == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = transport_post(c, method, body, timeout_ms, &r);
    if (err == DSTACK_OK) {
        err = client_rpc_result(method, &r, resp, text);
    }
    free(body);
    return err;
}

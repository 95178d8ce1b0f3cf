/* GetKey and GetTlsKey (docs/api/GetTlsKey.md, docs/api/GetKey.md, docs/sdk.md). */
#include "client/client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/secret.h"

/* The Version RPC exists from OS 0.5.7 on; the Python and JS SDKs use it as a capability probe
 * before features newer than that (dstack_client.py get_key / get_tls_key). */
static bool version_available(struct dstack_client *c)
{
    cJSON *resp = NULL;
    dstack_err err = client_rpc(c, "Version", NULL, 0, &resp, NULL);
    json_free(resp);
    return err == DSTACK_OK;
}

void dstack_get_key_response_free(struct dstack_get_key_response *k)
{
    if (k == NULL) {
        return;
    }
    secret_wipe(k->key, sizeof k->key);
    jf_bytes_array_free(k->signature_chain, k->signature_chain_len);
    if (k->json != NULL) {
        secret_wipe(k->json, strlen(k->json));
        free(k->json);
    }
    free(k);
}

dstack_err client_key_from_json(const cJSON *obj, char *text, struct dstack_get_key_response **out)
{
    dstack_err err;
    struct dstack_bytes key = {0};
    struct dstack_get_key_response *k = calloc(1, sizeof *k);
    if (k == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    k->json = text;
    if ((err = jf_hex(obj, "key", &key)) != DSTACK_OK) {
        goto out;
    }
    if (key.len > sizeof k->key) {
        err = err_set(DSTACK_EPROTO, "GetKey returned a %zu-byte key (expected at most %d)",
                      key.len, DSTACK_KEY_LEN);
        goto out;
    }
    if (key.len > 0) {
        memcpy(k->key, key.data, key.len);
    }
    k->key_len = key.len;
    err = jf_hex_array(obj, "signature_chain", &k->signature_chain, &k->signature_chain_len);
out:
    dstack_bytes_wipe_free(&key);
    if (err != DSTACK_OK) {
        dstack_get_key_response_free(k);
        return err;
    }
    *out = k;
    return DSTACK_OK;
}

dstack_err dstack_get_key_response_decode(const char *json, struct dstack_get_key_response **out)
{
    err_clear();
    if (json == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_key_response_decode: NULL argument");
    }
    *out = NULL;
    struct json_error jerr;
    cJSON *obj = json_parse(json, strlen(json), JSON_DUPS_LAST, &jerr);
    if (!cJSON_IsObject(obj)) {
        json_free(obj);
        return err_set(DSTACK_EFORMAT, "GetKey response is not a JSON object: %s", jerr.text);
    }
    char *text = jf_strdup(json);
    dstack_err err = text == NULL ? err_set(DSTACK_ENOMEM, "out of memory")
                                  : client_key_from_json(obj, text, out);
    json_free(obj);
    return err;
}

bool client_key_needs_version(const char *algorithm)
{
    return algorithm != NULL && strcmp(algorithm, "secp256k1") != 0 &&
           strcmp(algorithm, "k256") != 0 && algorithm[0] != '\0';
}

dstack_err client_key_unsupported(const char *algorithm)
{
    return err_set(DSTACK_EUNSUPPORTED,
                   "algorithm \"%s\" is not supported: OS version too old (Version RPC "
                   "unavailable)",
                   algorithm);
}

dstack_err client_key_request(const char *path, const char *purpose, const char *algorithm,
                              cJSON **req)
{
    *req = jf_strings("path", path ? path : "", "purpose", purpose ? purpose : "", "algorithm",
                      algorithm ? algorithm : "secp256k1");
    return *req != NULL ? DSTACK_OK
                        : err_set(DSTACK_EINVAL, "path, purpose and algorithm must be UTF-8");
}

dstack_err dstack_get_key(struct dstack_client *c, const char *path, const char *purpose,
                          const char *algorithm, struct dstack_get_key_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_key: NULL argument");
    }
    *out = NULL;
    if (client_key_needs_version(algorithm) && !version_available(c)) {
        return client_key_unsupported(algorithm);
    }
    cJSON *req = NULL;
    dstack_err err = client_key_request(path, purpose, algorithm, &req);
    if (err != DSTACK_OK) {
        return err;
    }
    cJSON *resp = NULL;
    char *text = NULL;
    err = client_rpc(c, "GetKey", req, 0, &resp, &text);
    json_free(req);
    if (err == DSTACK_OK) {
        err = client_key_from_json(resp, text, out); /* takes text */
    }
    json_free(resp);
    return err;
}

/* ---- GetTlsKey ---- */

void dstack_tls_key_options_init(struct dstack_tls_key_options *o)
{
    if (o != NULL) {
        memset(o, 0, sizeof *o);
        o->usage_server_auth = true; /* Python/JS/Rust default (docs/sdk.md) */
    }
}

void dstack_get_tls_key_response_free(struct dstack_get_tls_key_response *k)
{
    if (k == NULL) {
        return;
    }
    if (k->key != NULL) {
        secret_wipe(k->key, strlen(k->key));
        free(k->key);
    }
    jf_string_array_free(k->certificate_chain, k->certificate_chain_len);
    if (k->json != NULL) {
        secret_wipe(k->json, strlen(k->json));
        free(k->json);
    }
    free(k);
}

dstack_err client_tls_key_from_json(const cJSON *obj, char *text,
                                    struct dstack_get_tls_key_response **out)
{
    struct dstack_get_tls_key_response *k = calloc(1, sizeof *k);
    if (k == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    k->json = text;
    dstack_err err = jf_string(obj, "key", &k->key);
    if (err == DSTACK_OK) {
        err = jf_string_array(obj, "certificate_chain", &k->certificate_chain,
                              &k->certificate_chain_len);
    }
    if (err != DSTACK_OK) {
        dstack_get_tls_key_response_free(k);
        return err;
    }
    *out = k;
    return DSTACK_OK;
}

bool client_tls_needs_version(const struct dstack_tls_key_options *o)
{
    return o->has_not_before || o->has_not_after || o->has_with_app_info;
}

dstack_err client_tls_unsupported(const struct dstack_tls_key_options *opts)
{
    char names[64] = "";
    const char *sep = "";
    size_t used = 0;
    const struct {
        bool on;
        const char *name;
    } opt[] = {{opts->has_not_before, "not_before"},
               {opts->has_not_after, "not_after"},
               {opts->has_with_app_info, "with_app_info"}};
    for (size_t i = 0; i < 3; i++) {
        if (opt[i].on) {
            int n = snprintf(names + used, sizeof names - used, "%s%s", sep, opt[i].name);
            used += (size_t)n;
            sep = ", ";
        }
    }
    return err_set(DSTACK_EUNSUPPORTED,
                   "TLS key options [%s] are not supported: OS version too old "
                   "(Version RPC unavailable)",
                   names);
}

dstack_err client_tls_request(const struct dstack_tls_key_options *o, cJSON **out)
{
    *out = NULL;
    if (o->not_before > INT64_MAX || o->not_after > INT64_MAX) {
        return err_set(DSTACK_EINVAL, "not_before/not_after out of range");
    }
    cJSON *req = jf_strings("subject", o->subject ? o->subject : "", NULL, NULL, NULL, NULL);
    if (req != NULL &&
        (!json_set(req, "usage_ra_tls", cJSON_CreateBool(o->usage_ra_tls)) ||
         !json_set(req, "usage_server_auth", cJSON_CreateBool(o->usage_server_auth)) ||
         !json_set(req, "usage_client_auth", cJSON_CreateBool(o->usage_client_auth)))) {
        json_free(req);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "subject must be UTF-8");
    }
    if (o->n_alt_names > 0) { /* only when non-empty, as the Python/JS SDKs send it */
        cJSON *names = cJSON_CreateArray();
        json_set(req, "alt_names", names);
        for (size_t i = 0; i < o->n_alt_names; i++) {
            if (!json_push(names, json_string_utf8(o->alt_names[i]))) {
                json_free(req);
                return err_set(DSTACK_EINVAL, "alt_names[%zu] is NULL or not UTF-8", i);
            }
        }
    }
    if (o->has_not_before) {
        json_set(req, "not_before", json_int_new((int64_t)o->not_before));
    }
    if (o->has_not_after) {
        json_set(req, "not_after", json_int_new((int64_t)o->not_after));
    }
    if (o->has_with_app_info) {
        json_set(req, "with_app_info", cJSON_CreateBool(o->with_app_info));
    }
    *out = req;
    return DSTACK_OK;
}

dstack_err dstack_get_tls_key(struct dstack_client *c, const struct dstack_tls_key_options *opts,
                              struct dstack_get_tls_key_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_tls_key: NULL argument");
    }
    *out = NULL;
    struct dstack_tls_key_options defaults;
    if (opts == NULL) {
        dstack_tls_key_options_init(&defaults);
        opts = &defaults;
    }
    if (client_tls_needs_version(opts) && !version_available(c)) {
        return client_tls_unsupported(opts);
    }
    cJSON *req = NULL;
    dstack_err err = client_tls_request(opts, &req);
    if (err != DSTACK_OK) {
        return err;
    }
    cJSON *resp = NULL;
    char *text = NULL;
    err = client_rpc(c, "GetTlsKey", req, 0, &resp, &text);
    json_free(req);
    if (err == DSTACK_OK) {
        err = client_tls_key_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

/* as_uint8array(): strip the PEM armour and whitespace, base64-decode the body
 * (dstack_client.py GetTlsKeyResponse.as_uint8array). The body is decoded strictly
 * (util/base64.h): the agent's PEM writer never puts '=' inside a body, which OpenSSL's
 * EVP_DecodeBlock took as zero bits. */
dstack_err dstack_get_tls_key_response_der(const struct dstack_get_tls_key_response *k,
                                           size_t max_len, struct dstack_bytes *out)
{
    err_clear();
    if (k == NULL || k->key == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_tls_key_response_der: NULL argument");
    }
    out->data = NULL;
    out->len = 0;
    dstack_err err = DSTACK_OK;
    size_t n = strlen(k->key);
    char *b64 = malloc(n + 1);
    uint8_t *der = malloc(n / 4 * 3 + 3);
    size_t m = 0;
    if (b64 == NULL || der == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    const char *begin = strstr(k->key, "-----BEGIN PRIVATE KEY-----");
    const char *end = strstr(k->key, "-----END PRIVATE KEY-----");
    if (begin == NULL || end == NULL || end < begin) {
        err = err_set(DSTACK_EFORMAT, "key is not a PKCS#8 PEM private key");
        goto out;
    }
    for (const char *p = begin + strlen("-----BEGIN PRIVATE KEY-----"); p < end; p++) {
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') {
            b64[m++] = *p;
        }
    }
    size_t len = 0;
    if ((err = base64_decode(b64, m, der, &len)) != DSTACK_OK) {
        err = err_wrap(err, "key PEM body is not valid base64");
        goto out;
    }
    size_t want = max_len == 0 ? len : max_len;
    out->data = calloc(want ? want : 1, 1);
    if (out->data == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(out->data, der, len < want ? len : want);
    out->len = want;
out:
    if (b64 != NULL) {
        secret_wipe(b64, n + 1);
    }
    if (der != NULL) {
        secret_wipe(der, n / 4 * 3 + 3);
    }
    free(b64);
    free(der);
    return err;
}

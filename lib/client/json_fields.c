/* Reading and writing the hex/string members of RPC messages (docs/wire.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/secret.h"

char *jf_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

dstack_err jf_string(const json_t *obj, const char *key, char **out)
{
    *out = NULL;
    const json_t *v = json_object_get(obj, key);
    const char *s = "";
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_string(v)) {
            return client_fail(DSTACK_EPROTO, "response field %s is not a string", key);
        }
        s = json_string_value(v);
    }
    *out = jf_strdup(s);
    return *out == NULL ? client_fail(DSTACK_ENOMEM, "out of memory") : DSTACK_OK;
}

static dstack_err hex_value(const json_t *v, const char *key, struct dstack_bytes *out)
{
    if (!json_is_string(v)) {
        return client_fail(DSTACK_EPROTO, "response field %s is not a hex string", key);
    }
    dstack_err err =
        hex_decode_alloc(json_string_value(v), json_string_length(v), &out->data, &out->len);
    if (err == DSTACK_ENOMEM) {
        return client_fail(err, "out of memory");
    }
    if (err != DSTACK_OK) {
        return client_fail(DSTACK_EPROTO, "response field %s is not valid hex", key);
    }
    if (out->len == 0) {
        free(out->data);
        out->data = NULL;
    }
    return DSTACK_OK;
}

dstack_err jf_hex(const json_t *obj, const char *key, struct dstack_bytes *out)
{
    out->data = NULL;
    out->len = 0;
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        return DSTACK_OK;
    }
    return hex_value(v, key, out);
}

dstack_err jf_hex_array(const json_t *obj, const char *key, struct dstack_bytes **out,
                        size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const json_t *arr = json_object_get(obj, key);
    if (arr == NULL || json_is_null(arr)) {
        return DSTACK_OK;
    }
    if (!json_is_array(arr)) {
        return client_fail(DSTACK_EPROTO, "response field %s is not an array", key);
    }
    size_t n = json_array_size(arr);
    if (n == 0) {
        return DSTACK_OK;
    }
    struct dstack_bytes *a = calloc(n, sizeof *a);
    if (a == NULL) {
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        dstack_err err = hex_value(json_array_get(arr, i), key, &a[i]);
        if (err != DSTACK_OK) {
            jf_bytes_array_free(a, n);
            return err;
        }
    }
    *out = a;
    *out_len = n;
    return DSTACK_OK;
}

dstack_err jf_string_array(const json_t *obj, const char *key, char ***out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const json_t *arr = json_object_get(obj, key);
    if (arr == NULL || json_is_null(arr)) {
        return DSTACK_OK;
    }
    if (!json_is_array(arr)) {
        return client_fail(DSTACK_EPROTO, "response field %s is not an array", key);
    }
    size_t n = json_array_size(arr);
    if (n == 0) {
        return DSTACK_OK;
    }
    char **a = calloc(n, sizeof *a);
    if (a == NULL) {
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            jf_string_array_free(a, n);
            return client_fail(DSTACK_EPROTO, "response field %s holds a non-string", key);
        }
        a[i] = jf_strdup(json_string_value(v));
        if (a[i] == NULL) {
            jf_string_array_free(a, n);
            return client_fail(DSTACK_ENOMEM, "out of memory");
        }
    }
    *out = a;
    *out_len = n;
    return DSTACK_OK;
}

dstack_err jf_set_hex(json_t *obj, const char *key, const uint8_t *data, size_t len)
{
    char *h = hex_encode_alloc(data, len);
    if (h == NULL) {
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    int rc = json_object_set_new(obj, key, json_string(h));
    free(h);
    return rc == 0 ? DSTACK_OK : client_fail(DSTACK_ENOMEM, "out of memory");
}

void jf_bytes_array_free(struct dstack_bytes *a, size_t n)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(a[i].data);
    }
    free(a);
}

void jf_string_array_free(char **a, size_t n)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(a[i]);
    }
    free(a);
}

void dstack_bytes_wipe_free(struct dstack_bytes *b)
{
    if (b == NULL) {
        return;
    }
    secret_wipe(b->data, b->len);
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

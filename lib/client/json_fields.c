/* Reading and writing the hex/string members of RPC messages (docs/wire.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/secret.h"

cJSON *jf_strings(const char *k1, const char *v1, const char *k2, const char *v2, const char *k3,
                  const char *v3)
{
    const char *kv[] = {k1, v1, k2, v2, k3, v3};
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; obj != NULL && i < sizeof kv / sizeof kv[0] && kv[i] != NULL; i += 2) {
        if (!json_set(obj, kv[i], json_string_utf8(kv[i + 1]))) {
            json_free(obj);
            obj = NULL;
        }
    }
    return obj;
}

char *jf_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

dstack_err jf_string(const cJSON *obj, const char *key, char **out)
{
    *out = NULL;
    const cJSON *v = json_get(obj, key);
    const char *s = "";
    if (v != NULL && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) {
            return err_set(DSTACK_EPROTO, "response field %s is not a string", key);
        }
        s = json_str(v);
    }
    *out = jf_strdup(s);
    return *out == NULL ? err_set(DSTACK_ENOMEM, "out of memory") : DSTACK_OK;
}

static dstack_err hex_value_as(const cJSON *v, const char *key, struct dstack_bytes *out,
                               bool secret)
{
    if (!cJSON_IsString(v)) {
        return err_set(DSTACK_EPROTO, "response field %s is not a hex string", key);
    }
    dstack_err err =
        secret ? hex_decode_alloc(json_str(v), json_str_len(v), &out->data, &out->len)
               : hex_decode_public_alloc(json_str(v), json_str_len(v), &out->data, &out->len);
    if (err == DSTACK_ENOMEM) {
        return err_set(err, "out of memory");
    }
    if (err != DSTACK_OK) {
        return err_set(DSTACK_EPROTO, "response field %s is not valid hex", key);
    }
    if (out->len == 0) {
        free(out->data);
        out->data = NULL;
    }
    return DSTACK_OK;
}

/* Signature chains: public. */
static dstack_err hex_value(const cJSON *v, const char *key, struct dstack_bytes *out)
{
    return hex_value_as(v, key, out, false);
}

static dstack_err jf_hex_as(const cJSON *obj, const char *key, struct dstack_bytes *out,
                            bool secret)
{
    out->data = NULL;
    out->len = 0;
    const cJSON *v = json_get(obj, key);
    if (v == NULL || cJSON_IsNull(v)) {
        return DSTACK_OK;
    }
    return hex_value_as(v, key, out, secret);
}

dstack_err jf_hex(const cJSON *obj, const char *key, struct dstack_bytes *out)
{
    return jf_hex_as(obj, key, out, true);
}

dstack_err jf_hex_public(const cJSON *obj, const char *key, struct dstack_bytes *out)
{
    return jf_hex_as(obj, key, out, false);
}

/* The array field `key` of obj: absent or null reads as empty (*n = 0); any other type is
 * DSTACK_EPROTO. */
static dstack_err field_array(const cJSON *obj, const char *key, const cJSON **arr, size_t *n)
{
    *arr = json_get(obj, key);
    *n = 0;
    if (*arr == NULL || cJSON_IsNull(*arr)) {
        return DSTACK_OK;
    }
    if (!cJSON_IsArray(*arr)) {
        return err_set(DSTACK_EPROTO, "response field %s is not an array", key);
    }
    *n = (size_t)cJSON_GetArraySize(*arr);
    return DSTACK_OK;
}

dstack_err jf_hex_array(const cJSON *obj, const char *key, struct dstack_bytes **out,
                        size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const cJSON *arr = NULL;
    size_t n = 0;
    dstack_err err = field_array(obj, key, &arr, &n);
    if (err != DSTACK_OK || n == 0) {
        return err;
    }
    struct dstack_bytes *a = calloc(n, sizeof *a);
    if (a == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    const cJSON *item = arr->child;
    for (size_t i = 0; i < n; i++, item = item->next) {
        err = hex_value(item, key, &a[i]);
        if (err != DSTACK_OK) {
            jf_bytes_array_free(a, n);
            return err;
        }
    }
    *out = a;
    *out_len = n;
    return DSTACK_OK;
}

dstack_err jf_string_array(const cJSON *obj, const char *key, char ***out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    const cJSON *arr = NULL;
    size_t n = 0;
    dstack_err err = field_array(obj, key, &arr, &n);
    if (err != DSTACK_OK || n == 0) {
        return err;
    }
    char **a = calloc(n, sizeof *a);
    if (a == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    const cJSON *v = arr->child;
    for (size_t i = 0; i < n; i++, v = v->next) {
        if (!cJSON_IsString(v)) {
            jf_string_array_free(a, n);
            return err_set(DSTACK_EPROTO, "response field %s holds a non-string", key);
        }
        a[i] = jf_strdup(json_str(v));
        if (a[i] == NULL) {
            jf_string_array_free(a, n);
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
    }
    *out = a;
    *out_len = n;
    return DSTACK_OK;
}

dstack_err jf_set_hex(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
    return json_set_hex(obj, key, data, len) ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
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

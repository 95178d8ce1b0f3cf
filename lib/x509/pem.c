/* PEM encoding, 64-column base64 with LF endings (upstream dstack/ra-tls/src/kdf.rs). */
#include "x509/pem.h"

#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

#define PEM_LINE_BYTES 48 /* 48 input bytes = 64 base64 characters */

size_t pem_encoded_len(const char *label, size_t len)
{
    size_t label_len = strlen(label);
    size_t b64 = (len + 2) / 3 * 4;
    size_t lines = (len + PEM_LINE_BYTES - 1) / PEM_LINE_BYTES;
    /* "-----BEGIN " label "-----\n" and "-----END " label "-----\n" */
    return (11 + label_len + 6) + b64 + lines + (9 + label_len + 6);
}

static size_t put_str(char *out, const char *s)
{
    size_t n = strlen(s);
    memcpy(out, s, n);
    return n;
}

dstack_err pem_encode(const char *label, const uint8_t *der, size_t len, char *out, size_t cap)
{
    if (len > (SIZE_MAX - 64) / 2 || cap == 0 || pem_encoded_len(label, len) > cap - 1) {
        return DSTACK_EINVAL;
    }
    size_t o = 0;
    o += put_str(out + o, "-----BEGIN ");
    o += put_str(out + o, label);
    o += put_str(out + o, "-----\n");
    for (size_t i = 0; i < len; i += PEM_LINE_BYTES) {
        size_t n = len - i < PEM_LINE_BYTES ? len - i : PEM_LINE_BYTES;
        base64_encode(der + i, n, false, out + o); /* its NUL becomes the line's '\n' */
        o += base64_encoded_len(n, false);
        out[o++] = '\n';
    }
    o += put_str(out + o, "-----END ");
    o += put_str(out + o, label);
    o += put_str(out + o, "-----\n");
    out[o] = '\0';
    return DSTACK_OK;
}

dstack_err pem_encode_alloc(const char *label, const uint8_t *der, size_t len, char **out)
{
    *out = NULL;
    if (len > (SIZE_MAX - 64) / 2) {
        return DSTACK_EINVAL;
    }
    size_t cap = pem_encoded_len(label, len) + 1;
    char *s = malloc(cap);
    if (s == NULL) {
        return DSTACK_ENOMEM;
    }
    dstack_err err = pem_encode(label, der, len, s, cap);
    if (err != DSTACK_OK) {
        free(s);
        return err;
    }
    *out = s;
    return DSTACK_OK;
}

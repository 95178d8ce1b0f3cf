/* msgpack encoding and decoding of AppInfo for the RA-TLS app-info extension. */
#include "x509/appinfo_ext.h"

#include <stdlib.h>
#include <string.h>

#include "x509/der.h" /* only for the bounded growable buffer */

/* msgpack markers (msgpack spec "formats"). */
#define MP_NIL 0xc0
#define MP_BIN8 0xc4
#define MP_BIN16 0xc5
#define MP_BIN32 0xc6
#define MP_ARRAY16 0xdc
#define MP_ARRAY32 0xdd
#define MP_FIXARRAY 0x90

static void put_be(struct der_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    der_raw(w, b, n);
}

static void put_marker(struct der_writer *w, uint8_t m)
{
    der_raw(w, &m, 1);
}

/* rmp encode::write_bin_len: the shortest of bin8/16/32. */
static void put_bin(struct der_writer *w, const uint8_t *p, size_t len)
{
    if (len <= 0xff) {
        put_marker(w, MP_BIN8);
        put_be(w, len, 1);
    } else if (len <= 0xffff) {
        put_marker(w, MP_BIN16);
        put_be(w, len, 2);
    } else {
        put_marker(w, MP_BIN32);
        put_be(w, len, 4);
    }
    der_raw(w, p, len);
}

static void put_array(struct der_writer *w, size_t n)
{
    if (n < 16) {
        put_marker(w, (uint8_t)(MP_FIXARRAY | n));
    } else if (n <= 0xffff) {
        put_marker(w, MP_ARRAY16);
        put_be(w, n, 2);
    } else {
        put_marker(w, MP_ARRAY32);
        put_be(w, n, 4);
    }
}

dstack_err appinfo_encode(const struct appinfo *ai, uint8_t **out, size_t *out_len)
{
    struct der_writer w;
    if (ai->n_init_script_hashes > APPINFO_MAX_SCRIPTS) {
        return DSTACK_EINVAL;
    }
    der_init(&w, 0);
    put_array(&w, 9);
    put_bin(&w, ai->app_id.p, ai->app_id.len);
    put_bin(&w, ai->compose_hash.p, ai->compose_hash.len);
    put_bin(&w, ai->instance_id.p, ai->instance_id.len);
    put_bin(&w, ai->device_id.p, ai->device_id.len);
    put_bin(&w, ai->mr_system, sizeof ai->mr_system);
    put_bin(&w, ai->mr_aggregated, sizeof ai->mr_aggregated);
    put_bin(&w, ai->os_image_hash.p, ai->os_image_hash.len);
    put_bin(&w, ai->key_provider_info.p, ai->key_provider_info.len);
    if (!ai->has_init_script_hashes) {
        put_marker(&w, MP_NIL);
    } else {
        put_array(&w, ai->n_init_script_hashes);
        for (size_t i = 0; i < ai->n_init_script_hashes; i++) {
            put_bin(&w, ai->init_script_hashes[i].p, ai->init_script_hashes[i].len);
        }
    }
    return der_finish(&w, out, out_len);
}

struct rd {
    const uint8_t *p;
    size_t len, pos;
};

static bool get_be(struct rd *r, size_t n, uint64_t *v)
{
    if (n > r->len - r->pos) {
        return false;
    }
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        *v = (*v << 8) | r->p[r->pos++];
    }
    return true;
}

static bool get_bin(struct rd *r, struct appinfo_bytes *out)
{
    uint64_t m, len;
    if (!get_be(r, 1, &m)) {
        return false;
    }
    size_t n = m == MP_BIN8 ? 1 : m == MP_BIN16 ? 2 : m == MP_BIN32 ? 4 : 0;
    if (n == 0 || !get_be(r, n, &len) || len > r->len - r->pos) {
        return false;
    }
    out->p = r->p + r->pos;
    out->len = (size_t)len;
    r->pos += (size_t)len;
    return true;
}

static bool get_array(struct rd *r, uint64_t *n)
{
    uint64_t m;
    if (!get_be(r, 1, &m)) {
        return false;
    }
    if ((m & 0xf0) == MP_FIXARRAY) {
        *n = m & 0x0f;
        return true;
    }
    return (m == MP_ARRAY16 && get_be(r, 2, n)) || (m == MP_ARRAY32 && get_be(r, 4, n));
}

static bool get_fixed32(struct rd *r, uint8_t out[DSTACK_SHA256_LEN])
{
    struct appinfo_bytes b;
    if (!get_bin(r, &b) || b.len != DSTACK_SHA256_LEN) {
        return false;
    }
    memcpy(out, b.p, DSTACK_SHA256_LEN);
    return true;
}

dstack_err appinfo_decode(const uint8_t *buf, size_t len, struct appinfo *out)
{
    struct rd r = {buf, len, 0};
    uint64_t n = 0;
    memset(out, 0, sizeof *out);
    if (!get_array(&r, &n) || n != 9 || !get_bin(&r, &out->app_id) ||
        !get_bin(&r, &out->compose_hash) || !get_bin(&r, &out->instance_id) ||
        !get_bin(&r, &out->device_id) || !get_fixed32(&r, out->mr_system) ||
        !get_fixed32(&r, out->mr_aggregated) || !get_bin(&r, &out->os_image_hash) ||
        !get_bin(&r, &out->key_provider_info) || r.pos >= r.len) {
        goto bad;
    }
    if (r.p[r.pos] == MP_NIL) {
        r.pos++;
    } else {
        if (!get_array(&r, &n) || n > APPINFO_MAX_SCRIPTS) {
            goto bad;
        }
        out->has_init_script_hashes = true;
        out->n_init_script_hashes = (size_t)n;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (!get_bin(&r, &out->init_script_hashes[i])) {
                goto bad;
            }
        }
    }
    if (r.pos != r.len) {
        goto bad;
    }
    return DSTACK_OK;
bad:
    memset(out, 0, sizeof *out);
    return DSTACK_EFORMAT;
}

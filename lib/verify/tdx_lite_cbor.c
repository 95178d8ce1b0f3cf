/* measurement.tdx.cbor decoded (tdx_lite.h): upstream's dstack-types CborTdxOsImageMeasurement,
 *   {"version": 3,
 *    "image": {"cmdline_sha384": bstr48, "kernel_authenticode": bstr48, "initrd_sha384": bstr48},
 *    "tdvf": {"ovmf": "pre202505", "mrtd": {"single_pass": bstr48, "two_pass": bstr48},
 *             "td_hob": bstr}}
 * As serde reads it: unknown keys ignored, a missing or repeated field refused. Lengths of the
 * digests are checked here (upstream checks them when it computes, with the same outcome). */
#include "tdx_lite.h"

#include <string.h>

#include "cbor.h"
#include "util/error.h"

#define CTX "TdxOsImageMeasurement: failed to decode CBOR"

/* A field's reader sets the error text itself (nested maps name the innermost failure). */
struct field {
    const char *key;
    dstack_err (*read)(struct cbor *c, struct tdx_lite_measurement *m);
};

static dstack_err malformed(const char *path, const char *want)
{
    return err_set(DSTACK_EFORMAT, CTX ": %s is not %s", path, want);
}

static bool key_is(const uint8_t *k, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(k, want, n) == 0;
}

static bool bytes_n(struct cbor *c, uint8_t *out, size_t want)
{
    const uint8_t *s;
    size_t n;
    if (!cbor_string(c, CBOR_BYTES, &s, &n) || n != want) {
        return false;
    }
    memcpy(out, s, n);
    return true;
}

/* Reads a map whose known keys are fields[]; names the first field that fails. */
static dstack_err read_map(struct cbor *c, const char *what, const struct field *fields,
                           size_t n_fields, struct tdx_lite_measurement *m)
{
    enum cbor_major major;
    uint64_t n = 0;
    unsigned seen = 0;
    if (!cbor_head(c, &major, &n) || major != CBOR_MAP) {
        return err_set(DSTACK_EFORMAT, CTX ": %s is not a map", what);
    }
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t klen;
        if (!cbor_string(c, CBOR_TEXT, &k, &klen)) {
            return err_set(DSTACK_EFORMAT, CTX ": %s has a key that is not text", what);
        }
        size_t f = 0;
        while (f < n_fields && !key_is(k, klen, fields[f].key)) {
            f++;
        }
        if (f == n_fields) {
            if (!cbor_skip(c)) {
                return err_set(DSTACK_EFORMAT, CTX ": %s is truncated", what);
            }
            continue;
        }
        if (seen & (1u << f)) {
            return err_set(DSTACK_EFORMAT, CTX ": duplicate field `%s` in %s", fields[f].key, what);
        }
        seen |= 1u << f;
        dstack_err err = fields[f].read(c, m);
        if (err != DSTACK_OK) {
            return err;
        }
    }
    for (size_t f = 0; f < n_fields; f++) {
        if (!(seen & (1u << f))) {
            return err_set(DSTACK_EFORMAT, CTX ": missing field `%s` in %s", fields[f].key, what);
        }
    }
    return DSTACK_OK;
}

/* A SHA-384 digest field: a 48-byte byte string. */
static dstack_err rd_sha384(struct cbor *c, uint8_t out[DSTACK_SHA384_LEN], const char *field)
{
    return bytes_n(c, out, DSTACK_SHA384_LEN) ? DSTACK_OK
                                              : malformed(field, "a 48-byte byte string");
}

static dstack_err rd_cmdline(struct cbor *c, struct tdx_lite_measurement *m)
{
    return rd_sha384(c, m->cmdline_sha384, "image.cmdline_sha384");
}
static dstack_err rd_kernel(struct cbor *c, struct tdx_lite_measurement *m)
{
    return rd_sha384(c, m->kernel_authenticode, "image.kernel_authenticode");
}
static dstack_err rd_initrd(struct cbor *c, struct tdx_lite_measurement *m)
{
    return rd_sha384(c, m->initrd_sha384, "image.initrd_sha384");
}
static dstack_err rd_single(struct cbor *c, struct tdx_lite_measurement *m)
{
    return rd_sha384(c, m->mrtd_single_pass, "tdvf.mrtd.single_pass");
}
static dstack_err rd_two(struct cbor *c, struct tdx_lite_measurement *m)
{
    return rd_sha384(c, m->mrtd_two_pass, "tdvf.mrtd.two_pass");
}

static dstack_err rd_ovmf(struct cbor *c, struct tdx_lite_measurement *m)
{
    const uint8_t *s;
    size_t n;
    /* OvmfVariant has one value; serde refuses any other name. */
    if (!cbor_string(c, CBOR_TEXT, &s, &n) || !key_is(s, n, "pre202505")) {
        return malformed("tdvf.ovmf", "\"pre202505\"");
    }
    memcpy(m->ovmf_variant, "pre202505", sizeof "pre202505");
    return DSTACK_OK;
}

static dstack_err rd_hob(struct cbor *c, struct tdx_lite_measurement *m)
{
    const uint8_t *s;
    size_t n;
    if (!cbor_string(c, CBOR_BYTES, &s, &n) || n > sizeof m->td_hob_witness) {
        return malformed("tdvf.td_hob", "a byte string of at most 512 bytes");
    }
    memcpy(m->td_hob_witness, s, n);
    m->td_hob_witness_len = n;
    return DSTACK_OK;
}

static dstack_err rd_mrtd(struct cbor *c, struct tdx_lite_measurement *m)
{
    static const struct field f[] = {{"single_pass", rd_single}, {"two_pass", rd_two}};
    return read_map(c, "tdvf.mrtd", f, 2, m);
}

static dstack_err rd_image(struct cbor *c, struct tdx_lite_measurement *m)
{
    static const struct field f[] = {{"cmdline_sha384", rd_cmdline},
                                     {"kernel_authenticode", rd_kernel},
                                     {"initrd_sha384", rd_initrd}};
    return read_map(c, "image", f, 3, m);
}

static dstack_err rd_tdvf(struct cbor *c, struct tdx_lite_measurement *m)
{
    static const struct field f[] = {{"ovmf", rd_ovmf}, {"mrtd", rd_mrtd}, {"td_hob", rd_hob}};
    return read_map(c, "tdvf", f, 3, m);
}

static dstack_err rd_version(struct cbor *c, struct tdx_lite_measurement *m)
{
    enum cbor_major major;
    uint64_t v = 0;
    (void)m;
    if (!cbor_head(c, &major, &v) || major != CBOR_UINT) {
        return malformed("version", "an unsigned integer");
    }
    if (v != 3) {
        return err_set(DSTACK_EFORMAT,
                       "TdxOsImageMeasurement: unsupported version %llu, expected 3",
                       (unsigned long long)v);
    }
    return DSTACK_OK;
}

dstack_err tdx_lite_decode(const uint8_t *cbor, size_t len, struct tdx_lite_measurement *out)
{
    static const struct field top[] = {
        {"version", rd_version}, {"image", rd_image}, {"tdvf", rd_tdvf}};
    struct cbor c = {cbor, len, 0};
    memset(out, 0, sizeof *out);
    dstack_err err = read_map(&c, "the document", top, 3, out);
    if (err == DSTACK_OK && c.pos != c.len) {
        err = err_set(DSTACK_EFORMAT, CTX ": trailing bytes after the document");
    }
    return err;
}

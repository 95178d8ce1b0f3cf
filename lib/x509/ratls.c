/* RA-TLS certificate parsing and verification (include/dstack/ratls.h). */
#include <dstack/ratls.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <dstack/quote.h>

#include "attest/versioned.h"
#include "crypto/hash.h"
#include "util/error.h"

#define RATLS_TAG "ratls-cert:"

struct ext_payload {
    uint8_t *p;
    size_t len;
    int present;
};

struct dstack_ratls_cert {
    X509 *x509;
    uint8_t spki[DSTACK_RATLS_SPKI_MAX];
    size_t spki_len;
    struct ext_payload attestation, app_info, usage;
};

/* The extension value is DER OCTET STRING(payload) (cert.rs:L416-423). */
static dstack_err read_ext(X509 *x, const char *oid, struct ext_payload *out)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    dstack_err err = DSTACK_EFORMAT;
    ASN1_OCTET_STRING *inner = NULL;
    if (obj == NULL) {
        return DSTACK_ENOMEM;
    }
    int at = X509_get_ext_by_OBJ(x, obj, -1);
    if (at < 0) {
        err = DSTACK_OK; /* absent */
        goto out;
    }
    if (X509_get_ext_by_OBJ(x, obj, at) >= 0) {
        goto out; /* duplicate: x509-parser get_extension_unique refuses it */
    }
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, at));
    const unsigned char *p = ASN1_STRING_get0_data(v);
    long vlen = ASN1_STRING_length(v);
    inner = d2i_ASN1_OCTET_STRING(NULL, &p, vlen);
    if (inner == NULL || p != ASN1_STRING_get0_data(v) + vlen) {
        goto out;
    }
    size_t n = (size_t)ASN1_STRING_length(inner);
    out->p = malloc(n > 0 ? n : 1);
    if (out->p == NULL) {
        err = DSTACK_ENOMEM;
        goto out;
    }
    memcpy(out->p, ASN1_STRING_get0_data(inner), n);
    out->len = n;
    out->present = 1;
    err = DSTACK_OK;
out:
    ASN1_OCTET_STRING_free(inner);
    ASN1_OBJECT_free(obj);
    return err;
}

void dstack_ratls_cert_free(struct dstack_ratls_cert *c)
{
    if (c == NULL) {
        return;
    }
    X509_free(c->x509);
    free(c->attestation.p);
    free(c->app_info.p);
    free(c->usage.p);
    free(c);
}

static X509 *parse_x509(const void *data, size_t len)
{
    if (len > INT32_MAX) {
        return NULL;
    }
    if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        return x;
    }
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != (const unsigned char *)data + len) {
        X509_free(x); /* trailing bytes */
        return NULL;
    }
    return x;
}

dstack_err dstack_ratls_cert_parse(const void *data, size_t len, struct dstack_ratls_cert **out)
{
    dstack_err err = DSTACK_EFORMAT;
    unsigned char *spki = NULL;
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_ratls_cert_parse: NULL output");
    }
    struct dstack_ratls_cert *c = calloc(1, sizeof *c);

    *out = NULL;
    if (c == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    ERR_set_mark(); /* see ERR_pop_to_mark below */
    if (data == NULL || (c->x509 = parse_x509(data, len)) == NULL) {
        err = err_set(DSTACK_EFORMAT, "not a certificate (PEM or DER)");
        goto out;
    }
    int n = i2d_PUBKEY(X509_get0_pubkey(c->x509), &spki);
    if (n <= 0 || (size_t)n > sizeof c->spki) {
        err = err_set(DSTACK_EFORMAT, "certificate public key is missing or too large");
        goto out;
    }
    memcpy(c->spki, spki, (size_t)n);
    c->spki_len = (size_t)n;
    if ((err = read_ext(c->x509, DSTACK_RATLS_ATTESTATION_OID, &c->attestation)) != DSTACK_OK ||
        (err = read_ext(c->x509, DSTACK_RATLS_APP_INFO_OID, &c->app_info)) != DSTACK_OK ||
        (err = read_ext(c->x509, DSTACK_RATLS_CERT_USAGE_OID, &c->usage)) != DSTACK_OK) {
        err = err_set(err, err == DSTACK_ENOMEM ? "out of memory"
                                                : "RA-TLS extension is duplicated or malformed");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    OPENSSL_free(spki);
    dstack_ratls_cert_free(c);
    /* Leave the caller's OpenSSL error queue as we found it: a failed parse (and PEM reading,
     * which ends on "no start line") pushes entries that an application's TLS code on the same
     * thread would later read through SSL_get_error / ERR_get_error. */
    ERR_pop_to_mark();
    return err;
}

const uint8_t *dstack_ratls_cert_spki(const struct dstack_ratls_cert *c, size_t *len)
{
    *len = c->spki_len;
    return c->spki;
}

/* e is NULL when the caller passed no certificate. */
static dstack_err get_ext(const char *fn, const struct ext_payload *e, const uint8_t **bytes,
                          size_t *len)
{
    if (e == NULL || bytes == NULL || len == NULL) {
        return err_set(DSTACK_EINVAL, "%s: NULL certificate or output", fn);
    }
    if (!e->present) {
        *bytes = NULL;
        *len = 0;
        return err_set(DSTACK_EFORMAT, "certificate has no such extension");
    }
    *bytes = e->p;
    *len = e->len;
    return DSTACK_OK;
}

dstack_err dstack_ratls_cert_attestation(const struct dstack_ratls_cert *c, const uint8_t **bytes,
                                         size_t *len)
{
    return get_ext(__func__, c != NULL ? &c->attestation : NULL, bytes, len);
}

dstack_err dstack_ratls_cert_app_info(const struct dstack_ratls_cert *c, const uint8_t **bytes,
                                      size_t *len)
{
    return get_ext(__func__, c != NULL ? &c->app_info : NULL, bytes, len);
}

dstack_err dstack_ratls_cert_usage(const struct dstack_ratls_cert *c, const uint8_t **bytes,
                                   size_t *len)
{
    return get_ext(__func__, c != NULL ? &c->usage : NULL, bytes, len);
}

dstack_err dstack_ratls_report_data(const uint8_t *spki, size_t spki_len,
                                    uint8_t out[DSTACK_REPORT_DATA_LEN])
{
    if ((spki == NULL && spki_len != 0) || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_ratls_report_data: NULL SPKI or output");
    }
    dstack_err err = DSTACK_ECRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    if (md != NULL && EVP_DigestInit_ex(md, hash_md(HASH_SHA512), NULL) == 1 &&
        EVP_DigestUpdate(md, RATLS_TAG, strlen(RATLS_TAG)) == 1 &&
        EVP_DigestUpdate(md, spki, spki_len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1 &&
        n == DSTACK_REPORT_DATA_LEN) {
        err = DSTACK_OK;
    }
    EVP_MD_CTX_free(md);
    return err == DSTACK_OK ? err : err_set(err, "SHA-512 failed");
}

static dstack_err check_binding(const struct dstack_ratls_cert *c, const char *quote_root_pem,
                                size_t root_len)
{
    uint8_t want[DSTACK_REPORT_DATA_LEN];
    struct versioned_attestation a = {0};
    size_t off = 0;
    dstack_err err;

    if (!c->attestation.present) {
        return err_set(DSTACK_EVERIFY, "certificate has no attestation extension");
    }
    err = dstack_ratls_report_data(c->spki, c->spki_len, want);
    if (err != DSTACK_OK) {
        return err;
    }
    if (versioned_decode(c->attestation.p, c->attestation.len, &a) != DSTACK_OK) {
        err = err_set(DSTACK_EVERIFY, "attestation extension does not decode");
        goto out;
    }
    if (dstack_quote_report_data_offset(a.quote, a.quote_len, &off) != DSTACK_OK ||
        off > a.quote_len || a.quote_len - off < DSTACK_REPORT_DATA_LEN) {
        err = err_set(DSTACK_EVERIFY, "attestation quote is not a TDX quote");
        goto out;
    }
    if (memcmp(a.quote + off, want, sizeof want) != 0 ||
        memcmp(a.report_data, want, sizeof want) != 0) {
        err = err_set(DSTACK_EVERIFY, "quote report data does not bind the certificate key");
        goto out;
    }
    if (quote_root_pem != NULL) {
        if (dstack_quote_verify(a.quote, a.quote_len, quote_root_pem, root_len) != DSTACK_OK) {
            err = err_wrap(DSTACK_EVERIFY, "quote verification failed");
            goto out;
        }
    }
    err = DSTACK_OK;
out:
    versioned_free(&a);
    return err;
}

dstack_err dstack_ratls_check_binding(const struct dstack_ratls_cert *c, const char *quote_root_pem,
                                      size_t root_len)
{
    if (c == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_ratls_check_binding: NULL certificate");
    }
    ERR_set_mark(); /* the quote verifier parses the PCK chain's PEM */
    dstack_err err = check_binding(c, quote_root_pem, root_len);
    ERR_pop_to_mark();
    return err;
}

/* All certificates of a PEM text, in order. */
static STACK_OF(X509) * read_pem_chain(const char *pem, size_t len)
{
    if (len > INT32_MAX) {
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    if (bio == NULL || sk == NULL) {
        BIO_free(bio);
        sk_X509_free(sk);
        return NULL;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_push(sk, x) <= 0) {
            X509_free(x);
            break;
        }
    }
    BIO_free(bio);
    return sk;
}

dstack_err dstack_ratls_verify_chain(const char *chain_pem, size_t chain_len, const char *ca_pem,
                                     size_t ca_len, const char *quote_root_pem, size_t root_len,
                                     struct dstack_ratls_cert **leaf_out)
{
    dstack_err err = DSTACK_ENOMEM;
    /* read_pem_chain cannot tell a missing or oversized text from a failed allocation */
    if (chain_pem == NULL || ca_pem == NULL || chain_len > INT32_MAX || ca_len > INT32_MAX) {
        if (leaf_out != NULL) {
            *leaf_out = NULL;
        }
        return err_set(DSTACK_EINVAL, "dstack_ratls_verify_chain: no chain or CA text, or one "
                                      "over 2 GiB");
    }
    ERR_set_mark(); /* reading PEM ends on "no start line": keep it off the caller's queue */
    STACK_OF(X509) *chain = read_pem_chain(chain_pem, chain_len);
    STACK_OF(X509) *cas = read_pem_chain(ca_pem, ca_len);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    struct dstack_ratls_cert *leaf = NULL;
    unsigned char *der = NULL;

    if (leaf_out != NULL) {
        *leaf_out = NULL;
    }
    if (chain == NULL || cas == NULL || store == NULL || ctx == NULL) {
        goto out;
    }
    if (sk_X509_num(chain) < 1 || sk_X509_num(cas) < 1) {
        err = err_set(DSTACK_EFORMAT, "no certificate in the chain or the CA");
        goto out;
    }
    for (int i = 0; i < sk_X509_num(cas); i++) {
        X509_STORE_add_cert(store, sk_X509_value(cas, i));
    }
    X509 *leaf_x = sk_X509_value(chain, 0);
    if (X509_STORE_CTX_init(ctx, store, leaf_x, chain) != 1) {
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        err = err_set(DSTACK_EVERIFY, "certificate chain: %s",
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    int n = i2d_X509(leaf_x, &der);
    if (n <= 0 || dstack_ratls_cert_parse(der, (size_t)n, &leaf) != DSTACK_OK) {
        err = err_set(DSTACK_EFORMAT, "leaf certificate extensions are malformed");
        goto out;
    }
    err = check_binding(leaf, quote_root_pem, root_len);
    if (err == DSTACK_OK && leaf_out != NULL) {
        *leaf_out = leaf;
        leaf = NULL;
    }
out:
    if (err == DSTACK_ENOMEM) {
        (void)err_set(err, "out of memory");
    }
    OPENSSL_free(der);
    dstack_ratls_cert_free(leaf);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(cas, X509_free);
    ERR_pop_to_mark();
    return err;
}

/* Certificate chains, CRLs and ECDSA signatures for DCAP (dcap-qvl src/utils.rs
 * verify_certificate_chain and src/verify.rs). A chain passes two checks:
 *  - in order, as dcap-qvl's JS port walks it: each certificate is signed by the next one, the
 *    last by the trust anchor (checked on the path OpenSSL builds, same_order), each is inside
 *    its validity at `now`, the leaf is not a CA, and no serial of the chain or the anchor is
 *    listed in either CRL;
 *  - OpenSSL's path validation at `now` (signatures, validity, CA constraints), then on the path
 *    it built the CRL of every certificate's issuer (crl_check.c), as the Rust crate asks
 *    webpki for it (revocation depth Chain, unknown status Deny, expiration Enforce). */
#include "dcap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "util/base64.h"
#include "x509/p256.h"

dstack_err pki_ctx_init(struct pki_ctx *p, const struct dstack_dcap_options *opts,
                        const struct dstack_collateral *col, uint64_t now)
{
    size_t root_len = 0;
    const uint8_t *root = dstack_intel_root_ca_der(&root_len);
    memset(p, 0, sizeof *p);
    if (opts != NULL && opts->root_ca_der != NULL) {
        root = opts->root_ca_der;
        root_len = opts->root_ca_der_len;
    }
    p->root = der_cache_x509(root, root_len);
    if (p->root == NULL) {
        return err_set(DSTACK_EINVAL, "Failed to load root ca");
    }
    p->crls[0] = der_cache_crl(col->root_ca_crl, col->root_ca_crl_len);
    p->crls[1] = der_cache_crl(col->pck_crl, col->pck_crl_len);
    p->now = now;
    return DSTACK_OK;
}

void pki_ctx_clear(struct pki_ctx *p)
{
    X509_free(p->root);
    X509_CRL_free(p->crls[0]);
    X509_CRL_free(p->crls[1]);
    EVP_PKEY_free(p->crl_key[0]);
    EVP_PKEY_free(p->crl_key[1]);
    memset(p, 0, sizeof *p);
}

/* The body of one PEM block at p (after BEGIN), as dcap-qvl's extract_certs accepts it: an
 * optional line break, a run of base64 characters and line breaks, an optional line break, END.
 * Returns the run's length, or 0 when the block does not have that shape. */
static size_t pem_body(const char *p, const char *end, const char **body)
{
    static const char tail[] = "-----END CERTIFICATE-----";
    const char *q = p;
    if (q < end && *q == '\r') {
        q++;
    }
    if (q < end && *q == '\n') {
        q++;
    }
    *body = q;
    while (q < end && (isalnum((unsigned char)*q) || *q == '+' || *q == '/' || *q == '=' ||
                       *q == '\r' || *q == '\n')) {
        q++;
    }
    if ((size_t)(end - q) < sizeof tail - 1 || memcmp(q, tail, sizeof tail - 1) != 0 ||
        q == *body) {
        return 0;
    }
    return (size_t)(q - *body);
}

/* Base64 with line breaks dropped, decoded strictly as the pem crate that dcap-qvl parses with
 * (base64's STANDARD engine: no '=' inside, no trailing bits); the DER must be exactly one
 * certificate. */
static X509 *pem_cert(const char *body, size_t n)
{
    char *flat = malloc(n + 1);
    uint8_t *der = malloc(base64_decoded_max(n) + 1);
    X509 *x = NULL;
    size_t m = 0, len = 0;
    if (flat == NULL || der == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (body[i] != '\r' && body[i] != '\n') {
            flat[m++] = body[i];
        }
    }
    if (base64_decode(flat, m, der, &len) == DSTACK_OK && len > 0) {
        x = der_cache_x509(der, len);
    }
out:
    free(flat);
    free(der);
    return x;
}

dstack_err pki_pem_chain(const char *pem, size_t len, STACK_OF(X509) * *out)
{
    static const char head[] = "-----BEGIN CERTIFICATE-----";
    STACK_OF(X509) *sk = sk_X509_new_null();
    const char *p = pem, *end = pem + len;
    if (sk == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    while ((p = memmem(p, (size_t)(end - p), head, sizeof head - 1)) != NULL) {
        const char *body = NULL;
        p += sizeof head - 1;
        size_t n = pem_body(p, end, &body);
        if (n == 0) {
            continue; /* not a well-formed block: skipped, as dcap-qvl's pattern skips it */
        }
        X509 *x = pem_cert(body, n);
        if (x == NULL || !sk_X509_push(sk, x)) {
            X509_free(x);
            sk_X509_pop_free(sk, X509_free);
            ERR_clear_error();
            /* a block that is no certificate fails the chain */
            return err_set(DSTACK_EFORMAT, "a PEM block is not a certificate");
        }
        p = body + n;
    }
    *out = sk;
    return DSTACK_OK;
}

bool pki_cert_revoked(const struct pki_ctx *p, X509 *cert)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
    for (size_t i = 0; i < 2; i++) {
        STACK_OF(X509_REVOKED) *revs = p->crls[i] ? X509_CRL_get_REVOKED(p->crls[i]) : NULL;
        for (int k = 0; k < sk_X509_REVOKED_num(revs); k++) {
            const X509_REVOKED *r = sk_X509_REVOKED_value(revs, k);
            if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(r), serial) == 0) {
                return true;
            }
        }
    }
    return false;
}

static bool inside_validity(X509 *c, uint64_t now)
{
    time_t t = (time_t)now;
    return X509_cmp_time(X509_get0_notBefore(c), &t) < 0 &&
           X509_cmp_time(X509_get0_notAfter(c), &t) > 0;
}

static bool is_ca(X509 *c)
{
    return (X509_get_extension_flags(c) & EXFLAG_CA) != 0;
}

static dstack_err walk_in_order(const struct pki_ctx *p, STACK_OF(X509) * chain)
{
    int n = sk_X509_num(chain);
    if (is_ca(sk_X509_value(chain, 0))) {
        return err_set(DSTACK_EVERIFY, "CaUsedAsEndEntity");
    }
    for (int i = 0; i < n; i++) {
        X509 *c = sk_X509_value(chain, i);
        if (!inside_validity(c, p->now)) {
            return err_set(DSTACK_EVERIFY, "Certificate is expired or not yet valid");
        }
        if (pki_cert_revoked(p, c)) {
            return err_set(DSTACK_EVERIFY, "Certificate is revoked");
        }
    }
    if (pki_cert_revoked(p, p->root)) {
        return err_set(DSTACK_EVERIFY, "Certificate is revoked");
    }
    return DSTACK_OK;
}

/* The chain as given must be the path OpenSSL built, in order (each certificate signed by the
 * next, as dcap-qvl's JS port walks it): built = given, or given plus the anchor. A last given
 * certificate in the anchor's place (the root's copy in the quote) must be signed by it. */
static bool same_order(const struct pki_ctx *p, STACK_OF(X509) * given, STACK_OF(X509) * built)
{
    int n = sk_X509_num(given), nb = sk_X509_num(built);
    if (nb != n && nb != n + 1) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        X509 *g = sk_X509_value(given, i);
        if (i < nb - 1) {
            if (X509_cmp(g, sk_X509_value(built, i)) != 0) {
                return false;
            }
        } else if (X509_cmp(g, p->root) != 0 && X509_verify(g, X509_get0_pubkey(p->root)) != 1) {
            ERR_clear_error();
            return false;
        }
    }
    return true;
}

static dstack_err openssl_path(struct pki_ctx *p, STACK_OF(X509) * chain)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    dstack_err err = DSTACK_ENOMEM;
    if (store == NULL || ctx == NULL || untrusted == NULL ||
        X509_STORE_add_cert(store, p->root) != 1) {
        goto out;
    }
    for (int i = 1; i < sk_X509_num(chain); i++) {
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) {
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) != 1) {
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)p->now);
    err = DSTACK_OK;
    if (X509_verify_cert(ctx) != 1) {
        err = err_set(DSTACK_EVERIFY, "Failed to verify certificate chain: %s",
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    } else if (!same_order(p, chain, X509_STORE_CTX_get0_chain(ctx))) {
        err = err_set(DSTACK_EVERIFY, "Failed to verify certificate chain - not in issuing order");
    } else {
        err = crl_check_path(p, X509_STORE_CTX_get0_chain(ctx));
    }
out:
    if (err == DSTACK_ENOMEM) {
        err_set(DSTACK_ENOMEM, "out of memory");
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    return err;
}

dstack_err pki_verify_chain(struct pki_ctx *p, STACK_OF(X509) * chain, const char *what)
{
    dstack_err err = walk_in_order(p, chain);
    if (err == DSTACK_OK) {
        err = openssl_path(p, chain);
    }
    if (err != DSTACK_OK) {
        return err_wrap(err, "%s", what);
    }
    return err;
}

bool pki_verify_raw_sig(X509 *cert, const uint8_t *msg, size_t len, const uint8_t *sig,
                        size_t sig_len)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    return sig_len == P256_SIG_LEN && key != NULL && p256_verify_raw(key, msg, len, sig);
}

bool pki_verify_raw_key_sig(const uint8_t xy[64], const uint8_t *msg, size_t len,
                            const uint8_t sig[64])
{
    EVP_PKEY *key = p256_pubkey_from_xy(xy);
    bool ok = key != NULL && p256_verify_raw(key, msg, len, sig);
    EVP_PKEY_free(key);
    return ok;
}

dstack_err dstack_cert_to_der(const char *text, size_t len, uint8_t **der, size_t *der_len)
{
    STACK_OF(X509) *sk = NULL;
    X509 *x = NULL;
    if (text == NULL || der == NULL || der_len == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_cert_to_der: no text or no output");
    }
    if (len > 10 && memmem(text, len, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
        if (pki_pem_chain(text, len, &sk) == DSTACK_OK && sk_X509_num(sk) > 0) {
            x = sk_X509_value(sk, 0);
            X509_up_ref(x);
        }
        sk_X509_pop_free(sk, X509_free);
    } else {
        x = der_cache_x509((const uint8_t *)text, len);
    }
    unsigned char *out = NULL;
    int n = x != NULL ? i2d_X509(x, &out) : -1;
    X509_free(x);
    if (n <= 0 || (*der = malloc((size_t)n)) == NULL) {
        OPENSSL_free(out);
        return n <= 0 ? err_set(DSTACK_EFORMAT, "not a certificate (PEM or DER)")
                      : err_set(DSTACK_ENOMEM, "out of memory");
    }
    memcpy(*der, out, (size_t)n);
    *der_len = (size_t)n;
    OPENSSL_free(out);
    return DSTACK_OK;
}

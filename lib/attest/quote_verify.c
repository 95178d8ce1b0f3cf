/* Quote signature-chain verification (see dstack_quote_verify in include/dstack/quote.h; the
 * checks follow dcap-qvl src/verify.rs verify_impl minus the collateral-dependent ones,
 * docs/attestation.md). */
#include <dstack/quote.h>

#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "util/error.h"
#include "x509/p256.h"

#define MAX_CHAIN 8

/* Parses the PEM chain and insists it is exactly the canonical PEM of the certificates it
 * holds (OpenSSL's 64-column form, as both Intel PCS and our simulator emit), optionally
 * followed by one NUL: otherwise bytes the signatures do not cover could change unnoticed. */
static size_t parse_chain(const uint8_t *pem, size_t len, X509 *certs[MAX_CHAIN])
{
    size_t n = 0;
    if (len > 0 && pem[len - 1] == '\0') {
        len--;
    }
    if (len > INT32_MAX) {
        return 0;
    }
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    BIO *out = BIO_new(BIO_s_mem());
    if (in == NULL || out == NULL) {
        goto fail;
    }
    while (n < MAX_CHAIN && BIO_pending(in) > 0) {
        X509 *c = PEM_read_bio_X509(in, NULL, NULL, NULL);
        if (c == NULL) {
            goto fail;
        }
        certs[n++] = c;
        if (PEM_write_bio_X509(out, c) != 1) {
            goto fail;
        }
    }
    char *canon;
    long canon_len = BIO_get_mem_data(out, &canon);
    if (BIO_pending(in) != 0 || canon_len < 0 || (size_t)canon_len != len ||
        memcmp(canon, pem, len) != 0) {
        goto fail;
    }
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return n;
fail:
    while (n > 0) {
        X509_free(certs[--n]);
    }
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return 0;
}

static X509 *read_root(const char *pem, size_t len)
{
    if (pem == NULL || len > INT32_MAX) {
        return NULL;
    }
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    X509 *c = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    ERR_clear_error();
    return c;
}

/* OpenSSL path validation of certs[0] with certs[1..n) as intermediates and root trusted. */
static dstack_err verify_path(X509 *const *certs, size_t n, X509 *root)
{
    dstack_err err = DSTACK_ENOMEM;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (store == NULL || ctx == NULL || untrusted == NULL ||
        X509_STORE_add_cert(store, root) != 1) {
        goto out;
    }
    for (size_t i = 1; i < n; i++) {
        if (sk_X509_push(untrusted, certs[i]) <= 0) {
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, certs[0], untrusted) != 1) {
        goto out;
    }
    if (X509_verify_cert(ctx) == 1) {
        err = DSTACK_OK;
    } else {
        err = err_set(DSTACK_EVERIFY, "PCK chain does not verify: %s",
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
out:
    if (err == DSTACK_ENOMEM) {
        (void)err_set(err, "out of memory");
    }
    sk_X509_free(untrusted); /* the certificates belong to the caller */
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return err;
}

/* Check 1: the quote parses and nothing is unaccounted for inside its signature data
 * (dcap-qvl tolerates slack; we do not, so that every byte of a quote is either signed or
 * structural). */
static dstack_err check_layout(const uint8_t *quote, size_t len, struct dstack_quote *q)
{
    if (dstack_quote_parse(quote, len, q) != DSTACK_OK) {
        return err_set(DSTACK_EFORMAT, "malformed quote");
    }
    size_t expect = DSTACK_QUOTE_SIG_LEN + DSTACK_QUOTE_PUBKEY_LEN + 6 + DSTACK_QE_REPORT_LEN +
                    DSTACK_QUOTE_SIG_LEN + 2 + q->qe_auth_len + 6 + q->pck_chain_len;
    if (q->sig_data_len != expect || q->pck_cert_type != DSTACK_QUOTE_CERT_PCK_CHAIN) {
        return err_set(DSTACK_EFORMAT, "malformed quote signature data");
    }
    return DSTACK_OK;
}

/* Check 2: the quote signature (ECDSA-P256-SHA256 over [0, signed_len)) under the embedded
 * attestation key. */
static dstack_err check_quote_signature(const uint8_t *quote, const struct dstack_quote *q)
{
    EVP_PKEY *ak = p256_pubkey_from_xy(q->attest_key);
    if (ak == NULL) {
        return err_set(DSTACK_EVERIFY, "attestation key is not a P-256 point");
    }
    bool ok = p256_verify_raw(ak, quote, q->signed_len, q->signature);
    EVP_PKEY_free(ak);
    return ok ? DSTACK_OK : err_set(DSTACK_EVERIFY, "quote signature is invalid");
}

/* Check 3: the QE report signature under the PCK leaf certificate's key. */
static dstack_err check_qe_signature(const struct dstack_quote *q, X509 *pck_leaf)
{
    EVP_PKEY *pck = X509_get0_pubkey(pck_leaf);
    if (pck == NULL ||
        !p256_verify_raw(pck, q->qe_report, DSTACK_QE_REPORT_LEN, q->qe_report_sig)) {
        return err_set(DSTACK_EVERIFY, "QE report signature is invalid");
    }
    return DSTACK_OK;
}

/* Check 4: QE report_data = SHA-256(attestation key ‖ QE auth data) ‖ 0^32
 * (docs/attestation.md). */
static dstack_err check_qe_binding(const struct dstack_quote *q)
{
    static const uint8_t zero32[32];
    uint8_t bind[DSTACK_SHA256_LEN];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool hashed = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
                  EVP_DigestUpdate(md, q->attest_key, DSTACK_QUOTE_PUBKEY_LEN) == 1 &&
                  EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) == 1 &&
                  EVP_DigestFinal_ex(md, bind, NULL) == 1;
    EVP_MD_CTX_free(md);
    if (!hashed) {
        return err_set(DSTACK_ECRYPTO, "hashing failed");
    }
    if (CRYPTO_memcmp(bind, q->qe_report + DSTACK_QE_OFF_REPORT_DATA, sizeof bind) != 0 ||
        memcmp(zero32, q->qe_report + DSTACK_QE_OFF_REPORT_DATA + 32, 32) != 0) {
        return err_set(DSTACK_EVERIFY, "attestation key is not bound by the QE report");
    }
    return DSTACK_OK;
}

/* Check 5: the chain's top must be a valid self-signed certificate for the trusted root's key
 * (our simulator re-issues its certificates at each start with the same keys), and the whole
 * path must validate up to the root. */
static dstack_err check_chain(X509 *const *certs, size_t n, X509 *root)
{
    X509 *top = certs[n - 1];
    EVP_PKEY *root_key = X509_get0_pubkey(root);
    if (root_key == NULL || EVP_PKEY_eq(X509_get0_pubkey(top), root_key) != 1 ||
        X509_verify(top, root_key) != 1) {
        ERR_clear_error();
        return err_set(DSTACK_EVERIFY, "PCK chain does not end at the trusted root");
    }
    return verify_path(certs, n, root);
}

dstack_err dstack_quote_verify(const uint8_t *quote, size_t len, const char *root_pem,
                               size_t root_pem_len)
{
    struct dstack_quote q;
    if (quote == NULL || root_pem == NULL) {
        return err_set(DSTACK_EINVAL, "no quote or no root certificate");
    }
    dstack_err err = check_layout(quote, len, &q);
    if (err != DSTACK_OK) {
        return err;
    }
    X509 *root = read_root(root_pem, root_pem_len);
    if (root == NULL) {
        return err_set(DSTACK_EINVAL, "root certificate does not parse");
    }
    X509 *certs[MAX_CHAIN] = {0};
    size_t n_certs = 0;
    if ((err = check_quote_signature(quote, &q)) != DSTACK_OK) {
        goto out;
    }
    n_certs = parse_chain(q.pck_chain, q.pck_chain_len, certs);
    if (n_certs < 2) {
        err = err_set(DSTACK_EVERIFY, "PCK certificate chain is malformed or too short");
        goto out;
    }
    if ((err = check_qe_signature(&q, certs[0])) == DSTACK_OK &&
        (err = check_qe_binding(&q)) == DSTACK_OK) {
        err = check_chain(certs, n_certs, root);
    }
out:
    for (size_t i = 0; i < n_certs; i++) {
        X509_free(certs[i]);
    }
    X509_free(root);
    ERR_clear_error();
    return err;
}

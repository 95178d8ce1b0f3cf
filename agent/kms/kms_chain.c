/* The SignCert answer: SignCertResponse { certificate_chain } (kms_rpc.proto), which upstream's
 * KMS fills with [leaf, app CA, KMS root] (kms/src/main_service.rs sign_cert). The agent hands
 * the chain to apps as their TLS identity, so it is checked before anyone sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "json/json.h"
#include "kms/kms_client.h"
#include "util/error.h"

#define KMS_CHAIN_LEN 3

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return x;
}

static bool leaf_has_key(X509 *leaf, const uint8_t *spki, size_t spki_len)
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
    bool same = n > 0 && (size_t)n == spki_len && memcmp(der, spki, spki_len) == 0;
    OPENSSL_free(der);
    return same;
}

/* leaf -> chain[1..] -> a certificate of ca_pem, with OpenSSL's path validation. */
static dstack_err verify_to_ca(X509 *const certs[KMS_CHAIN_LEN], const char *ca_pem)
{
    dstack_err e = DSTACK_ENOMEM;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    BIO *b = BIO_new_mem_buf(ca_pem, -1);
    X509 *ca;
    int n_ca = 0;

    if (store == NULL || ctx == NULL || untrusted == NULL || b == NULL) {
        err_set(e, "out of memory");
        goto out;
    }
    while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        n_ca += X509_STORE_add_cert(store, ca) == 1;
        X509_free(ca);
    }
    for (size_t i = 1; i < KMS_CHAIN_LEN; i++) {
        if (sk_X509_push(untrusted, certs[i]) <= 0) {
            err_set(e, "out of memory");
            goto out;
        }
    }
    e = DSTACK_EVERIFY;
    if (n_ca == 0 || X509_STORE_CTX_init(ctx, store, certs[0], untrusted) != 1) {
        err_set(e, "bad answer: the keys file's ca_cert is unusable");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        err_set(e, "bad answer: certificate_chain does not verify to the keys file's ca_cert (%s)",
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    e = DSTACK_OK;
out:
    sk_X509_free(untrusted); /* the certificates belong to the caller */
    BIO_free(b);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return e;
}

/* One PEM per element, each a single parsable certificate; copies into out. */
static dstack_err read_chain(const cJSON *arr, X509 *certs[KMS_CHAIN_LEN], struct tls_chain *out)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != KMS_CHAIN_LEN) {
        return err_set(DSTACK_EPROTO,
                       "bad answer: certificate_chain must be [leaf, app CA, root] (%d elements)",
                       cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1);
    }
    for (int i = 0; i < KMS_CHAIN_LEN; i++) {
        const char *s = json_str(json_at(arr, (size_t)i));
        if (s == NULL || (certs[i] = pem_cert(s)) == NULL) {
            return err_set(DSTACK_EPROTO,
                           "bad answer: certificate_chain[%d] is not a PEM certificate", i);
        }
        if ((out->pem[i] = strdup(s)) == NULL) {
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
        out->n++;
    }
    return DSTACK_OK;
}

dstack_err kms_chain_check(const char *json, size_t len, const uint8_t *spki, size_t spki_len,
                           const char *ca_pem, struct tls_chain *out)
{
    X509 *certs[KMS_CHAIN_LEN] = {NULL};
    dstack_err e = DSTACK_EPROTO;

    memset(out, 0, sizeof *out);
    ERR_set_mark(); /* PEM reading leaves "no start line" behind */
    cJSON *doc = json_parse(json, len, 0, NULL);
    if (!cJSON_IsObject(doc)) {
        err_set(e, "bad answer: not a JSON object (%zu bytes)", len);
        goto out;
    }
    if ((e = read_chain(json_get(doc, "certificate_chain"), certs, out)) != DSTACK_OK) {
        goto out;
    }
    if (!leaf_has_key(certs[0], spki, spki_len)) {
        e = err_set(DSTACK_EVERIFY,
                    "bad answer: the leaf certificate is not for the requested key");
        goto out;
    }
    e = verify_to_ca(certs, ca_pem);
out:
    for (size_t i = 0; i < KMS_CHAIN_LEN; i++) {
        X509_free(certs[i]);
    }
    json_free(doc);
    ERR_pop_to_mark();
    if (e != DSTACK_OK) {
        tls_chain_free(out);
    }
    return e;
}

/* Regression: the RA-TLS functions (include/dstack/ratls.h) leave the caller's OpenSSL error
 * queue as they found it. They read PEM, which always ends on a "no start line" entry; left on
 * the queue, it made an application's later SSL_get_error on the same thread report
 * SSL_ERROR_SSL (found by tests/integration/it_tls_handshake.c). Entries the caller had before
 * the call are kept. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dstack/ratls.h>

#include "check.h"
#include "util/error.h"

/* A self-signed P-256 certificate (no dstack extensions) as PEM; malloc'd. */
static char *self_signed(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL, *p = NULL;
    if (k != NULL && x != NULL && b != NULL) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"errqueue", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        X509_set_pubkey(x, k);
        X509_sign(x, k, EVP_sha256());
        PEM_write_bio_X509(b, x);
        long n = BIO_get_mem_data(b, &p);
        pem = calloc(1, (size_t)n + 1);
        if (pem != NULL) {
            memcpy(pem, p, (size_t)n);
        }
    }
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(k);
    return pem;
}

int main(void)
{
    char *pem = self_signed();
    CHECK(pem != NULL);
    if (pem == NULL) {
        return check_exit();
    }
    static const struct {
        const char *chain, *ca;
        dstack_err want;
    } cases[] = {
        {NULL, NULL, DSTACK_EVERIFY},      /* TLS-valid, no attestation */
        {"garbage", NULL, DSTACK_EFORMAT}, /* no certificate in the chain */
        {NULL, "-----BEGIN CERTIFICATE-----\nAAAA\n", DSTACK_EFORMAT}, /* broken CA PEM */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *chain = cases[i].chain ? cases[i].chain : pem;
        const char *ca = cases[i].ca ? cases[i].ca : pem;
        ERR_clear_error();
        CHECK(dstack_ratls_verify_chain(chain, strlen(chain), ca, strlen(ca), NULL, 0, NULL) ==
              cases[i].want);
        CHECK(ERR_peek_error() == 0);
    }

    /* Parsing: good PEM, broken PEM, broken DER. */
    static const char *const bad[] = {"-----BEGIN CERTIFICATE-----\n!!\n", "\x30\x03\x02\x01"};
    struct dstack_ratls_cert *c = NULL;
    ERR_clear_error();
    CHECK(dstack_ratls_cert_parse(pem, strlen(pem), &c) == DSTACK_OK && c != NULL);
    CHECK(ERR_peek_error() == 0);
    err_clear();
    CHECK(c != NULL && dstack_ratls_check_binding(c, pem, strlen(pem)) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "certificate has no attestation extension");
    dstack_ratls_cert_free(c);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = NULL;
        CHECK(dstack_ratls_cert_parse(bad[i], strlen(bad[i]), &c) == DSTACK_EFORMAT && c == NULL);
        CHECK(ERR_peek_error() == 0);
    }

    /* An entry the caller had before the call survives it. */
    ERR_clear_error();
    ERR_raise(ERR_LIB_USER, 42);
    CHECK(dstack_ratls_verify_chain("garbage", 7, pem, strlen(pem), NULL, 0, NULL) ==
          DSTACK_EFORMAT);
    unsigned long e = ERR_get_error();
    CHECK(ERR_GET_LIB(e) == ERR_LIB_USER && ERR_GET_REASON(e) == 42);
    CHECK(ERR_peek_error() == 0);
    free(pem);
    return check_exit();
}

/* Revocation along a certificate path (RFC 5280 §6.3, as dcap-qvl's Rust crate asks webpki
 * for it: every certificate but the anchor, unknown status refused, CRL expiry enforced): the
 * CRL whose issuer name is the certificate's issuer, signed by that issuer's key, with
 * thisUpdate <= now <= nextUpdate, must not list the certificate. Each CRL's signature is
 * verified once per verification (the root CA CRL serves several chains). */
#include "dcap.h"

#include <openssl/err.h>

static int find_crl(const struct pki_ctx *p, X509 *issuer)
{
    for (int k = 0; k < 2; k++) {
        if (p->crls[k] != NULL &&
            X509_NAME_cmp(X509_CRL_get_issuer(p->crls[k]), X509_get_subject_name(issuer)) == 0) {
            return k;
        }
    }
    return -1;
}

/* The CRL's signature by issuer and its window; remembered for the rest of the verification. */
static dstack_err crl_trusted(struct pki_ctx *p, int k, X509 *issuer)
{
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    time_t t = (time_t)p->now;
    if (p->crl_key[k] != NULL) {
        if (EVP_PKEY_eq(p->crl_key[k], key) == 1) {
            return DSTACK_OK;
        }
        return err_set(DSTACK_EVERIFY, "CRL signature failure");
    }
    if (key == NULL || X509_CRL_verify(p->crls[k], key) != 1) {
        ERR_clear_error();
        return err_set(DSTACK_EVERIFY, "CRL signature failure");
    }
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(p->crls[k]);
    if (X509_cmp_time(X509_CRL_get0_lastUpdate(p->crls[k]), &t) > 0) {
        return err_set(DSTACK_EVERIFY, "CRL is not yet valid");
    }
    if (next == NULL || X509_cmp_time(next, &t) < 0) {
        return err_set(DSTACK_EVERIFY, "CRL has expired");
    }
    if (EVP_PKEY_up_ref(key) != 1) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    p->crl_key[k] = key;
    return DSTACK_OK;
}

dstack_err crl_check_path(struct pki_ctx *p, STACK_OF(X509) * path)
{
    for (int i = 0; i + 1 < sk_X509_num(path); i++) {
        X509 *c = sk_X509_value(path, i), *issuer = sk_X509_value(path, i + 1);
        X509_REVOKED *rev = NULL;
        int k = find_crl(p, issuer);
        if (k < 0) {
            return err_set(DSTACK_EVERIFY, "unable to get certificate CRL");
        }
        dstack_err err = crl_trusted(p, k, issuer);
        if (err != DSTACK_OK) {
            return err;
        }
        if (X509_CRL_get0_by_cert(p->crls[k], &rev, c) == 1) {
            return err_set(DSTACK_EVERIFY, "certificate revoked");
        }
    }
    return DSTACK_OK;
}

/* The local issuing CA (ca_cert + key_provider key of the keys file) and leaf issuance
 * (upstream CaCert, dstack/ra-tls/src/cert.rs:L44-120). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "x509/cert.h"

#include "util/error.h"
#include "x509/der.h"
#include "x509/pem.h"

struct x509_ca {
    char *pem;     /* verbatim */
    uint8_t *name; /* issuer Name DER as rcgen re-encodes it */
    size_t name_len;
    struct p256_key key;
    EVP_PKEY *pkey;
};

#define CA_NAME_MAX 65536
#define CA_MAX_ATTRS 64

static bool string_type_supported(int type)
{
    /* The DnValue kinds rcgen keeps (lib.rs:L371-381); any other tag is refused. */
    switch (type) {
    case V_ASN1_UTF8STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_T61STRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING:
        return true;
    default:
        return false;
    }
}

static bool same_object(const X509_NAME_ENTRY *a, const X509_NAME_ENTRY *b)
{
    return OBJ_cmp(X509_NAME_ENTRY_get_object(a), X509_NAME_ENTRY_get_object(b)) == 0;
}

/* rcgen DistinguishedName::from_name then its writer: one attribute per RDN (multi-valued RDNs
 * refused), an attribute type repeated keeps its first position and takes its last value,
 * each value re-emitted with its original string tag. */
static dstack_err encode_name(const X509_NAME *name, uint8_t **out, size_t *out_len)
{
    int n = X509_NAME_entry_count(name);
    struct der_writer w;

    if (n < 0 || n > CA_MAX_ATTRS) {
        return DSTACK_EFORMAT;
    }
    for (int i = 1; i < n; i++) {
        if (X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i)) ==
            X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i - 1))) {
            return DSTACK_EFORMAT;
        }
    }
    der_init(&w, CA_NAME_MAX);
    der_begin(&w, DER_SEQUENCE);
    for (int i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++) {
            seen = same_object(e, X509_NAME_get_entry(name, j));
        }
        if (seen) {
            continue;
        }
        const X509_NAME_ENTRY *last = e;
        for (int j = i + 1; j < n; j++) {
            if (same_object(e, X509_NAME_get_entry(name, j))) {
                last = X509_NAME_get_entry(name, j);
            }
        }
        const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(last);
        const ASN1_STRING *val = X509_NAME_ENTRY_get_data(last);
        int type = ASN1_STRING_type(val);
        size_t oid_len = OBJ_length(obj);
        if (!string_type_supported(type) || oid_len == 0) {
            der_free(&w);
            return DSTACK_EFORMAT;
        }
        der_begin(&w, DER_SET);
        der_begin(&w, DER_SEQUENCE);
        der_tlv(&w, DER_OID, OBJ_get0_data(obj), oid_len);
        der_tlv(&w, (uint8_t)type, ASN1_STRING_get0_data(val), (size_t)ASN1_STRING_length(val));
        der_end(&w);
        der_end(&w);
    }
    der_end(&w);
    return der_finish(&w, out, out_len);
}

void x509_ca_free(struct x509_ca *ca)
{
    if (ca == NULL) {
        return;
    }
    free(ca->pem);
    free(ca->name);
    EVP_PKEY_free(ca->pkey);
    secret_wipe(&ca->key, sizeof ca->key);
    free(ca);
}

dstack_err x509_ca_load(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        struct x509_ca **out)
{
    dstack_err e = DSTACK_EFORMAT;
    struct x509_ca *ca = calloc(1, sizeof *ca);
    BIO *bio = NULL;
    X509 *x = NULL;
    unsigned char *spki_der = NULL;

    *out = NULL;
    if (ca == NULL || cert_len > INT32_MAX) {
        e = err_set(ca == NULL ? DSTACK_ENOMEM : DSTACK_EINVAL, "Failed to parse cert PEM");
        goto out;
    }
    ca->pem = malloc(cert_len + 1);
    if (ca->pem == NULL) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(ca->pem, cert_pem, cert_len);
    ca->pem[cert_len] = '\0';

    if (p256_from_pem(key_pem, key_len, &ca->key) != DSTACK_OK) {
        e = err_set(DSTACK_EFORMAT, "Failed to parse key");
        goto out;
    }
    bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
    x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (x == NULL) {
        e = err_set(DSTACK_EFORMAT, "Failed to parse cert PEM");
        goto out;
    }
    uint8_t want[P256_SPKI_LEN];
    p256_spki(ca->key.point, want);
    int spki_len = i2d_PUBKEY(X509_get0_pubkey(x), &spki_der);
    if (spki_len != (int)sizeof want || memcmp(spki_der, want, sizeof want) != 0) {
        e = err_set(DSTACK_EFORMAT, "CA certificate does not match private key");
        goto out;
    }
    if (encode_name(X509_get_subject_name(x), &ca->name, &ca->name_len) != DSTACK_OK) {
        e = err_set(DSTACK_EFORMAT, "Failed to parse cert: unsupported distinguished name");
        goto out;
    }
    e = p256_to_evp(&ca->key, &ca->pkey);
    if (e != DSTACK_OK) {
        e = err_set(e, "Failed to load the CA key");
        goto out;
    }
    *out = ca;
    ca = NULL;
    e = DSTACK_OK;
out:
    OPENSSL_free(spki_der);
    X509_free(x);
    BIO_free(bio);
    x509_ca_free(ca);
    return e;
}

const char *x509_ca_pem(const struct x509_ca *ca)
{
    return ca->pem;
}

const uint8_t *x509_ca_name(const struct x509_ca *ca, size_t *len)
{
    *len = ca->name_len;
    return ca->name;
}

dstack_err x509_leaf_issue(const struct x509_ca *ca, const struct x509_leaf_req *req,
                           const uint8_t point[P256_POINT_LEN], char **pem)
{
    uint8_t *tbs = NULL, *der = NULL;
    size_t tbs_len = 0, der_len = 0;

    *pem = NULL;
    dstack_err e = x509_leaf_tbs(req, point, ca->name, ca->name_len, &tbs, &tbs_len);
    if (e == DSTACK_OK) {
        e = x509_sign_tbs(tbs, tbs_len, ca->pkey, &der, &der_len);
        if (e != DSTACK_OK) {
            e = err_set(e, "Failed to sign certificate");
        }
    }
    if (e == DSTACK_OK) {
        e = pem_encode_alloc("CERTIFICATE", der, der_len, pem);
        if (e != DSTACK_OK) {
            e = err_set(e, "out of memory");
        }
    }
    free(tbs);
    free(der);
    return e;
}

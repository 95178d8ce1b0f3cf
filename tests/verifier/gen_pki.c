/* The generator's PKI: certificates (OpenSSL X509 API), the PCK SGX extension (hand-written
 * DER, Intel SGX PCK Certificate and CRL Profile), CRLs and raw r || s signatures. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gen.h"

struct der {
    uint8_t b[1024];
    size_t n;
};

static void der_put(struct der *d, const uint8_t *p, size_t n)
{
    if (n <= sizeof d->b - d->n) {
        memcpy(d->b + d->n, p, n);
        d->n += n;
    }
}

/* tag, short or long (1-2 byte) length, then the body */
static void der_tlv(struct der *d, uint8_t tag, const uint8_t *body, size_t n)
{
    uint8_t h[4] = {tag, 0, 0, 0};
    size_t hl = 2;
    if (n < 128) {
        h[1] = (uint8_t)n;
    } else if (n < 256) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        hl = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    }
    der_put(d, h, hl);
    der_put(d, body, n);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<sub>[.<sub2>], value } */
static void der_pair(struct der *d, int sub, int sub2, const struct der *value)
{
    uint8_t oid[12] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, (uint8_t)sub};
    size_t on = 10;
    if (sub2 > 0) {
        oid[on++] = (uint8_t)sub2;
    }
    struct der pair = {.n = 0};
    der_tlv(&pair, 0x06, oid, on);
    der_put(&pair, value->b, value->n);
    der_tlv(d, 0x30, pair.b, pair.n);
}

/* A non-negative INTEGER, minimal, with a 0 byte when the top bit would read as a sign. */
static void der_int(struct der *d, unsigned v)
{
    uint8_t b[3];
    size_t n = 0;
    if (v >= 256) {
        b[n++] = (uint8_t)(v >> 8);
    }
    b[n++] = (uint8_t)v;
    if (b[0] & 0x80) {
        memmove(b + 1, b, n);
        b[0] = 0;
        n++;
    }
    der_tlv(d, 0x02, b, n);
}

static void sgx_extension(const struct gen_params *p, struct der *out)
{
    struct der body = {.n = 0}, v, tcb = {.n = 0};
    static const uint8_t ppid[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                     0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
    v.n = 0;
    der_tlv(&v, 0x04, ppid, sizeof ppid);
    der_pair(&body, 1, 0, &v);
    for (int i = 0; i < 16; i++) {
        v.n = 0;
        der_int(&v, p->cpusvn[i]);
        der_pair(&tcb, 2, i + 1, &v);
    }
    v.n = 0;
    der_int(&v, p->pcesvn);
    der_pair(&tcb, 2, 17, &v);
    v.n = 0;
    der_tlv(&v, 0x04, p->cpusvn, 16);
    der_pair(&tcb, 2, 18, &v);
    v.n = 0;
    der_tlv(&v, 0x30, tcb.b, tcb.n);
    der_pair(&body, 2, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x04, p->pceid, 2);
    der_pair(&body, 3, 0, &v);
    v.n = 0;
    der_tlv(&v, 0x04, p->fmspc, 6);
    der_pair(&body, 4, 0, &v);
    static const uint8_t standard = 0;
    v.n = 0;
    der_tlv(&v, 0x0a, &standard, 1);
    der_pair(&body, 5, 0, &v);
    out->n = 0;
    der_tlv(out, 0x30, body.b, body.n);
}

static int add_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e != NULL && X509_add_ext(c, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

static int add_sgx_ext(X509 *c, const struct gen_params *p)
{
    struct der d;
    sgx_extension(p, &d);
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int ok = obj && os && ASN1_OCTET_STRING_set(os, d.b, (int)d.n) == 1 &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
             X509_add_ext(c, e, -1) == 1;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok;
}

static X509_NAME *name_of(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"dstack-c test", -1, -1,
                               0);
    return n;
}

static const char *const cert_cn[] = {"Test SGX Root CA", "Test SGX PCK Platform CA",
                                      "Test SGX PCK Certificate", "Test SGX TCB Signing"};

X509 *gen_cert(const struct gen_keys *k, int kind, const struct gen_params *p)
{
    static const long serials[] = {GEN_SERIAL_ROOT, GEN_SERIAL_PCK_CA, GEN_SERIAL_PCK,
                                   GEN_SERIAL_TCB};
    EVP_PKEY *keys[] = {k->root, k->pck_ca, k->pck, k->tcb};
    EVP_PKEY *signer = kind == GEN_CERT_PCK ? k->pck_ca : k->root;
    const char *issuer_cn = cert_cn[kind == GEN_CERT_PCK ? GEN_CERT_PCK_CA : GEN_CERT_ROOT];
    int64_t nb = 1577836800, na = 4102444800; /* 2020-01-01 .. 2100-01-01 */
    if (kind == GEN_CERT_PCK && p != NULL) {
        nb = p->leaf_not_before;
        na = p->leaf_not_after;
    } else if (kind == GEN_CERT_TCB && p != NULL) {
        na = p->tcb_cert_not_after;
    }
    X509 *c = X509_new();
    X509_NAME *subj = name_of(cert_cn[kind]), *iss = name_of(issuer_cn);
    bool ca = kind == GEN_CERT_ROOT || kind == GEN_CERT_PCK_CA;
    int ok = c && X509_set_version(c, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(c), serials[kind]) &&
             X509_set_subject_name(c, subj) && X509_set_issuer_name(c, iss) &&
             ASN1_TIME_set(X509_getm_notBefore(c), (time_t)nb) &&
             ASN1_TIME_set(X509_getm_notAfter(c), (time_t)na) && X509_set_pubkey(c, keys[kind]) &&
             add_ext(c, c, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
             add_ext(c, c, NID_key_usage,
                     ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
             (kind != GEN_CERT_PCK || add_sgx_ext(c, p)) && X509_sign(c, signer, EVP_sha256()) > 0;
    X509_NAME_free(subj);
    X509_NAME_free(iss);
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

uint8_t *gen_crl_der(const struct gen_keys *k, bool root_issuer, const struct gen_crl *cs,
                     size_t *len)
{
    if (cs->garbage) {
        uint8_t *g = malloc(16);
        memset(g, 0x5a, 16);
        *len = 16;
        return g;
    }
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *iss = name_of(cert_cn[root_issuer ? GEN_CERT_ROOT : GEN_CERT_PCK_CA]);
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)cs->this_update);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)cs->next_update);
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, iss);
    X509_CRL_set1_lastUpdate(crl, tu);
    X509_CRL_set1_nextUpdate(crl, nu);
    for (size_t i = 0; i < cs->n_revoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, cs->revoked[i]);
        X509_REVOKED_set_serialNumber(r, s);
        X509_REVOKED_set_revocationDate(r, tu);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(s);
    }
    EVP_PKEY *signer = cs->wrong_signer ? k->stranger : root_issuer ? k->root : k->pck_ca;
    X509_CRL_sort(crl);
    X509_CRL_sign(crl, signer, EVP_sha256());
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    X509_CRL_free(crl);
    X509_NAME_free(iss);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    *len = n > 0 ? (size_t)n : 0;
    return der; /* OPENSSL_malloc'd: freed with OPENSSL_free */
}

int gen_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t out[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t dl = sizeof der;
    int ok = EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
             EVP_DigestSign(ctx, der, &dl, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *s = ok ? d2i_ECDSA_SIG(NULL, &p, (long)dl) : NULL;
    const BIGNUM *r = NULL, *sv = NULL;
    if (s != NULL) {
        ECDSA_SIG_get0(s, &r, &sv);
        ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(sv, out + 32, 32) == 32;
    }
    ECDSA_SIG_free(s);
    return ok && s != NULL ? 0 : -1;
}

char *gen_pem(X509 *const *certs, size_t n)
{
    BIO *b = BIO_new(BIO_s_mem());
    for (size_t i = 0; i < n; i++) {
        PEM_write_bio_X509(b, certs[i]);
    }
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(b);
    return out;
}

int gen_keys_new(struct gen_keys *k)
{
    memset(k, 0, sizeof *k);
    EVP_PKEY **all[] = {&k->root, &k->pck_ca, &k->pck, &k->tcb, &k->attest, &k->stranger};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if ((*all[i] = EVP_EC_gen("P-256")) == NULL) {
            return -1;
        }
    }
    k->root_cert = gen_cert(k, GEN_CERT_ROOT, NULL);
    unsigned char *p = k->root_der;
    int n = k->root_cert ? i2d_X509(k->root_cert, NULL) : -1;
    if (n <= 0 || (size_t)n > sizeof k->root_der) {
        return -1;
    }
    k->root_der_len = (size_t)i2d_X509(k->root_cert, &p);
    return 0;
}

void gen_keys_free(struct gen_keys *k)
{
    EVP_PKEY_free(k->root);
    EVP_PKEY_free(k->pck_ca);
    EVP_PKEY_free(k->pck);
    EVP_PKEY_free(k->tcb);
    EVP_PKEY_free(k->attest);
    EVP_PKEY_free(k->stranger);
    X509_free(k->root_cert);
}

/* Simulated DCAP quoting: seed-derived PCK chain, QE report, signed v4 quotes.
 * See sim_pck.h; layout per docs/attestation.md. */
#include "tee/sim_pck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/hash.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/secret.h"
#include "x509/p256.h"

/* Intel's QE vendor id (docs/attestation.md; mock-attestation tdx.rs INTEL_QE_VENDOR_ID). */
static const uint8_t intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                               0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1) with PPID, PCE-ID, FMSPC
 * all zero, SGX type Standard, and a TCB of CPUSVN/PCESVN zero — the values upstream's mock PCK
 * carries (mock-attestation tdx.rs pck_extension). DER checked with `openssl asn1parse`. */
static const uint8_t sgx_pck_extension[] = {
    0x30, 0x81, 0x9c, 0x30, 0x1e, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01,
    0x01, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x30, 0x10, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01,
    0x03, 0x04, 0x02, 0x00, 0x00, 0x30, 0x14, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01,
    0x0d, 0x01, 0x04, 0x04, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x06, 0x0a, 0x2a,
    0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x05, 0x0a, 0x01, 0x00, 0x30, 0x41, 0x06, 0x0a,
    0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x02, 0x30, 0x33, 0x30, 0x10, 0x06, 0x0b,
    0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x02, 0x11, 0x02, 0x01, 0x00, 0x30, 0x1f,
    0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x02, 0x12, 0x04, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

#define QE_AUTH_LEN 32

struct quote_pki {
    EVP_PKEY *root_key;
    EVP_PKEY *pck_ca_key;
    EVP_PKEY *pck_key;
    EVP_PKEY *attest_key;
    EVP_PKEY *tcb_key;
    uint8_t attest_pub[DSTACK_QUOTE_PUBKEY_LEN];
    char *root_pem;
    char *chain_pem;
    size_t chain_len;
    X509 *root, *pck_ca; /* kept as the CRL issuers of the collateral */
    char *tcb_chain_pem, *ca_chain_pem;
};

/* First valid scalar of SHA-256("dstack-mock-p256-v1" ‖ seed ‖ label ‖ be32(counter))
 * (mock-attestation lib.rs:L52-65). */
static dstack_err derive_key(const uint8_t seed[QUOTE_SEED_LEN], const char *label,
                             struct p256_key *out)
{
    static const char domain[] = "dstack-mock-p256-v1";
    uint8_t buf[sizeof domain - 1 + QUOTE_SEED_LEN + 64 + 4];
    struct secret32 d;
    size_t label_len = strlen(label);
    dstack_err err = DSTACK_EINVAL;

    if (label_len > 64) {
        return DSTACK_EINVAL;
    }
    for (uint32_t counter = 0; counter < 16; counter++) {
        size_t n = 0;
        memcpy(buf, domain, sizeof domain - 1);
        n += sizeof domain - 1;
        memcpy(buf + n, seed, QUOTE_SEED_LEN);
        n += QUOTE_SEED_LEN;
        memcpy(buf + n, label, label_len);
        n += label_len;
        buf[n++] = (uint8_t)(counter >> 24);
        buf[n++] = (uint8_t)(counter >> 16);
        buf[n++] = (uint8_t)(counter >> 8);
        buf[n++] = (uint8_t)counter;
        err = hash_sha256(buf, n, d.b);
        if (err == DSTACK_OK) {
            err = p256_from_scalar(d.b, out);
        }
        if (err != DSTACK_EINVAL) {
            break; /* success, or a failure retrying will not cure */
        }
    }
    secret_wipe(&d, sizeof d);
    secret_wipe(buf, sizeof buf);
    return err;
}

static dstack_err derive_evp(const uint8_t seed[QUOTE_SEED_LEN], const char *label, EVP_PKEY **out,
                             uint8_t pub[DSTACK_QUOTE_PUBKEY_LEN])
{
    struct p256_key k;
    dstack_err err = derive_key(seed, label, &k);
    if (err == DSTACK_OK) {
        err = p256_to_evp(&k, out);
        if (pub != NULL) {
            memcpy(pub, k.point + 1, DSTACK_QUOTE_PUBKEY_LEN); /* drop the 0x04 prefix */
        }
    }
    secret_wipe(&k, sizeof k);
    return err;
}

/* ECDSA-P256-SHA256 as the quote format carries it: raw r ‖ s, 32 bytes each. */
dstack_err quote_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                          uint8_t out[DSTACK_QUOTE_SIG_LEN])
{
    dstack_err err = DSTACK_ECRYPTO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    ECDSA_SIG *sig = NULL;

    if (ctx == NULL || EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
        EVP_DigestSign(ctx, der, &der_len, msg, len) != 1) {
        goto out;
    }
    const unsigned char *p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r, *s;
    if (sig == NULL) {
        goto out;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) {
        goto out;
    }
    err = DSTACK_OK;
out:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
    return err;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static int add_pck_ext(X509 *cert)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    int ok = obj != NULL && os != NULL &&
             ASN1_OCTET_STRING_set(os, sgx_pck_extension, (int)sizeof sgx_pck_extension) == 1 &&
             (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
             X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok;
}

enum cert_kind { CERT_ROOT, CERT_CA, CERT_PCK, CERT_TCB };

/* One certificate of the chain. issuer/issuer_key NULL for the self-signed root. */
static X509 *make_cert(enum cert_kind kind, long serial, const char *cn, EVP_PKEY *key,
                       X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *c = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok =
        c != NULL && name != NULL && X509_set_version(c, X509_VERSION_3) == 1 &&
        ASN1_INTEGER_set(X509_get_serialNumber(c), serial) == 1 &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"dstack-c simulator", -1, -1, 0) == 1 &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) == 1 &&
        X509_set_subject_name(c, name) == 1 &&
        X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) == 1 &&
        ASN1_TIME_set(X509_getm_notBefore(c), (time_t)QUOTE_PKI_NOT_BEFORE) != NULL &&
        ASN1_TIME_set(X509_getm_notAfter(c), (time_t)QUOTE_PKI_NOT_AFTER) != NULL &&
        X509_set_pubkey(c, key) == 1;
    X509 *iss = issuer ? issuer : c;
    if (ok && kind == CERT_TCB) {
        ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(c, iss, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    } else if (ok && kind != CERT_PCK) {
        ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(c, iss, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
    } else if (ok) {
        ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(c, iss, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
             add_pck_ext(c);
    }
    ok = ok && add_ext(c, iss, NID_subject_key_identifier, "hash") &&
         (kind == CERT_ROOT || add_ext(c, iss, NID_authority_key_identifier, "keyid:always")) &&
         X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

/* PEM text of a list of certificates, concatenated, NUL-terminated, malloc'd. */
static char *certs_pem(X509 *const *certs, size_t n, size_t *out_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    bool ok = bio != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = PEM_write_bio_X509(bio, certs[i]) == 1;
    }
    char *data;
    long len = ok ? BIO_get_mem_data(bio, &data) : -1;
    if (len > 0 && (out = malloc((size_t)len + 1)) != NULL) {
        memcpy(out, data, (size_t)len);
        out[len] = '\0';
        *out_len = (size_t)len;
    }
    BIO_free(bio);
    return out;
}

dstack_err quote_pki_new(const uint8_t seed[QUOTE_SEED_LEN], struct quote_pki **out)
{
    dstack_err err = DSTACK_OK;
    struct quote_pki *pki = NULL;
    X509 *root = NULL, *ca = NULL, *pck = NULL, *tcb = NULL;
    size_t root_len = 0;

    ENSURE(seed != NULL && out != NULL, DSTACK_EINVAL);
    pki = calloc(1, sizeof *pki);
    ENSURE(pki != NULL, DSTACK_ENOMEM);
    TRY(derive_evp(seed, "tdx-root", &pki->root_key, NULL));
    TRY(derive_evp(seed, "tdx-pck-ca", &pki->pck_ca_key, NULL));
    TRY(derive_evp(seed, "tdx-pck", &pki->pck_key, NULL));
    TRY(derive_evp(seed, "tdx-attestation-key", &pki->attest_key, pki->attest_pub));

    root = make_cert(CERT_ROOT, 1, "dstack-c Simulated SGX Root CA", pki->root_key, NULL, NULL);
    ENSURE(root != NULL, DSTACK_ECRYPTO);
    ca = make_cert(CERT_CA, 2, "dstack-c Simulated SGX PCK Platform CA", pki->pck_ca_key, root,
                   pki->root_key);
    ENSURE(ca != NULL, DSTACK_ECRYPTO);
    pck = make_cert(CERT_PCK, 3, "dstack-c Simulated SGX PCK Certificate", pki->pck_key, ca,
                    pki->pck_ca_key);
    ENSURE(pck != NULL, DSTACK_ECRYPTO);

    TRY(derive_evp(seed, "tdx-tcb", &pki->tcb_key, NULL));
    tcb = make_cert(CERT_TCB, 4, "dstack-c Simulated SGX TCB Signing", pki->tcb_key, root,
                    pki->root_key);
    ENSURE(tcb != NULL, DSTACK_ECRYPTO);

    X509 *chain[3] = {pck, ca, root}, *tcb_chain[2] = {tcb, root}, *ca_chain[2] = {ca, root};
    size_t ignored = 0;
    pki->chain_pem = certs_pem(chain, 3, &pki->chain_len);
    pki->root_pem = certs_pem(&root, 1, &root_len);
    pki->tcb_chain_pem = certs_pem(tcb_chain, 2, &ignored);
    pki->ca_chain_pem = certs_pem(ca_chain, 2, &ignored);
    ENSURE(pki->chain_pem != NULL && pki->root_pem != NULL && pki->tcb_chain_pem != NULL &&
               pki->ca_chain_pem != NULL,
           DSTACK_ENOMEM);
    pki->root = root;
    pki->pck_ca = ca;
    root = ca = NULL;
    *out = pki;
    pki = NULL;
out:
    X509_free(root);
    X509_free(ca);
    X509_free(pck);
    X509_free(tcb);
    quote_pki_free(pki);
    return err;
}

void quote_pki_free(struct quote_pki *pki)
{
    if (pki == NULL) {
        return;
    }
    EVP_PKEY_free(pki->root_key);
    EVP_PKEY_free(pki->pck_ca_key);
    EVP_PKEY_free(pki->pck_key);
    EVP_PKEY_free(pki->attest_key);
    EVP_PKEY_free(pki->tcb_key);
    X509_free(pki->root);
    X509_free(pki->pck_ca);
    free(pki->root_pem);
    free(pki->chain_pem);
    free(pki->tcb_chain_pem);
    free(pki->ca_chain_pem);
    free(pki);
}

void quote_pki_parts(const struct quote_pki *pki, struct quote_pki_parts *out)
{
    out->root_key = pki->root_key;
    out->pck_ca_key = pki->pck_ca_key;
    out->tcb_key = pki->tcb_key;
    out->root = pki->root;
    out->pck_ca = pki->pck_ca;
    out->tcb_chain_pem = pki->tcb_chain_pem;
    out->ca_chain_pem = pki->ca_chain_pem;
}

const char *quote_pki_root_pem(const struct quote_pki *pki)
{
    return pki->root_pem;
}

const char *quote_pki_chain_pem(const struct quote_pki *pki)
{
    return pki->chain_pem;
}

dstack_err quote_seed_from_string(const char *text, uint8_t seed[QUOTE_SEED_LEN])
{
    size_t n = 0;
    if (text == NULL || seed == NULL) {
        return DSTACK_EINVAL;
    }
    size_t len = strlen(text);
    if (len == 2 * QUOTE_SEED_LEN && hex_decode(text, len, seed, QUOTE_SEED_LEN, &n) == DSTACK_OK &&
        n == QUOTE_SEED_LEN) {
        return DSTACK_OK;
    }
    return hash_sha256(text, len, seed);
}

dstack_err quote_pki_write_root_pem(const struct quote_pki *pki, const char *path)
{
    if (pki == NULL || path == NULL) {
        return err_set(DSTACK_EINVAL, "quote_pki_write_root_pem: NULL argument");
    }
    return file_write_new(path, pki->root_pem, strlen(pki->root_pem), 0644, true);
}

void quote_td_defaults(struct quote_td *td)
{
    memset(td, 0, sizeof *td);
    td->td_attributes[3] = 0x10; /* SEPT_VE_DISABLE (bit 28); DEBUG (bit 0) clear */
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
    for (size_t i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

/* The QE report (SGX REPORTBODY, docs/attestation.md): mr_signer 0x44*32, isv_prod_id 1,
 * isv_svn 1 as upstream's mock QE identity expects; report_data binds the attestation key. */
static dstack_err build_qe_report(const struct quote_pki *pki, const uint8_t *qe_auth,
                                  uint8_t rep[DSTACK_QE_REPORT_LEN])
{
    uint8_t bind[DSTACK_QUOTE_PUBKEY_LEN + QE_AUTH_LEN];
    memset(rep, 0, DSTACK_QE_REPORT_LEN);
    /* cpu_svn[16] misc_select[4] rsv[28] attributes[16] mr_enclave[32] rsv[32] -> 128 */
    memset(rep + DSTACK_QE_OFF_MR_SIGNER, 0x44, 32);
    put16(rep + DSTACK_QE_OFF_ISV_PROD_ID, 1); /* after mr_signer[32] rsv[96] */
    put16(rep + DSTACK_QE_OFF_ISV_SVN, 1);
    memcpy(bind, pki->attest_pub, DSTACK_QUOTE_PUBKEY_LEN);
    memcpy(bind + DSTACK_QUOTE_PUBKEY_LEN, qe_auth, QE_AUTH_LEN);
    return hash_sha256(bind, sizeof bind, rep + DSTACK_QE_OFF_REPORT_DATA); /* after rsv[60] */
}

static void put_td_report(uint8_t *b, const struct quote_td *td, const uint8_t *rd)
{
    memset(b, 0, DSTACK_TD_REPORT10_LEN);
    memcpy(b + DSTACK_TD_OFF_TEE_TCB_SVN, td->tee_tcb_svn, 16);
    memcpy(b + DSTACK_TD_OFF_MR_SEAM, td->mr_seam, DSTACK_MR_LEN);
    /* MRSIGNERSEAM and SEAMATTRIBUTES stay zero (dstack rejects non-zero MRSIGNERSEAM). */
    memcpy(b + DSTACK_TD_OFF_TD_ATTRIBUTES, td->td_attributes, 8);
    memcpy(b + DSTACK_TD_OFF_XFAM, td->xfam, 8);
    memcpy(b + DSTACK_TD_OFF_MR_TD, td->mr_td, DSTACK_MR_LEN);
    memcpy(b + DSTACK_TD_OFF_MR_CONFIG_ID, td->mr_config_id, DSTACK_MR_LEN);
    memcpy(b + DSTACK_TD_OFF_MR_OWNER, td->mr_owner, DSTACK_MR_LEN);
    memcpy(b + DSTACK_TD_OFF_MR_OWNER_CONFIG, td->mr_owner_config, DSTACK_MR_LEN);
    memcpy(b + DSTACK_TD_OFF_RTMR0, td->rtmr, sizeof td->rtmr);
    memcpy(b + DSTACK_TD_OFF_REPORT_DATA, rd, DSTACK_REPORT_DATA_LEN);
}

dstack_err quote_build_v4(const struct quote_pki *pki, const struct quote_td *td,
                          const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                          size_t *out_len)
{
    dstack_err err = DSTACK_OK;
    uint8_t *q = NULL;
    static const uint8_t qe_auth[QE_AUTH_LEN]; /* upstream's mock uses 32 zero bytes */

    ENSURE(pki != NULL && td != NULL && report_data != NULL && out != NULL && out_len != NULL,
           DSTACK_EINVAL);
    /* Sizes of the nested certification data (docs/attestation.md). */
    size_t cert6_len =
        DSTACK_QE_REPORT_LEN + DSTACK_QUOTE_SIG_LEN + 2 + QE_AUTH_LEN + 2 + 4 + pki->chain_len;
    size_t sig_len = DSTACK_QUOTE_SIG_LEN + DSTACK_QUOTE_PUBKEY_LEN + 2 + 4 + cert6_len;
    size_t signed_len = DSTACK_QUOTE_HEADER_LEN + DSTACK_TD_REPORT10_LEN;
    size_t total = signed_len + 4 + sig_len;
    q = calloc(1, total);
    ENSURE(q != NULL, DSTACK_ENOMEM);

    /* Header: v4, ECDSA-P256, TDX, qe_svn 1, pce_svn 0 (as upstream's mock generator). */
    put16(q, 4);
    put16(q + 2, DSTACK_QUOTE_AK_ECDSA_P256);
    put32(q + 4, DSTACK_QUOTE_TEE_TDX);
    put16(q + 8, 1);
    put16(q + 10, 0);
    memcpy(q + 12, intel_qe_vendor_id, sizeof intel_qe_vendor_id);
    put_td_report(q + DSTACK_QUOTE_HEADER_LEN, td, report_data);

    uint8_t *p = q + signed_len;
    put32(p, (uint32_t)sig_len);
    p += 4;
    uint8_t *quote_sig = p;
    p += DSTACK_QUOTE_SIG_LEN;
    memcpy(p, pki->attest_pub, DSTACK_QUOTE_PUBKEY_LEN);
    p += DSTACK_QUOTE_PUBKEY_LEN;
    put16(p, DSTACK_QUOTE_CERT_QE_REPORT);
    put32(p + 2, (uint32_t)cert6_len);
    p += 6;
    uint8_t *qe_report = p;
    TRY(build_qe_report(pki, qe_auth, qe_report));
    p += DSTACK_QE_REPORT_LEN;
    TRY(quote_sign_raw(pki->pck_key, qe_report, DSTACK_QE_REPORT_LEN, p));
    p += DSTACK_QUOTE_SIG_LEN;
    put16(p, QE_AUTH_LEN);
    memcpy(p + 2, qe_auth, QE_AUTH_LEN);
    p += 2 + QE_AUTH_LEN;
    put16(p, DSTACK_QUOTE_CERT_PCK_CHAIN);
    put32(p + 2, (uint32_t)pki->chain_len);
    memcpy(p + 6, pki->chain_pem, pki->chain_len);

    TRY(quote_sign_raw(pki->attest_key, q, signed_len, quote_sig));
    *out = q;
    *out_len = total;
    q = NULL;
out:
    free(q);
    return err;
}

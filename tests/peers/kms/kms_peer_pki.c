/* The test KMS's certificates: its root CA, the temporary CA that signs agents' client
 * certificates, its TLS server certificate, and per-app CAs. Made with OpenSSL's X509 API: the
 * agent only needs them to verify, not to be byte-identical to rcgen's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/k256.h"
#include "crypto/keccak.h"
#include "kms_peer.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/secret.h"

#define DAY 86400

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A dstack extension: an OCTET STRING whose content is the DER OCTET STRING of the payload. */
static bool add_dstack_ext(X509 *x, const char *oid, const void *payload, size_t len)
{
    ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING *outer = ASN1_OCTET_STRING_new();
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    unsigned char *der = NULL;
    int n = -1;
    bool ok = false;
    if (inner != NULL && outer != NULL && obj != NULL &&
        ASN1_OCTET_STRING_set(inner, payload, (int)len) == 1 &&
        (n = i2d_ASN1_OCTET_STRING(inner, &der)) > 0 && ASN1_OCTET_STRING_set(outer, der, n)) {
        X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, outer);
        ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
        X509_EXTENSION_free(ext);
    }
    OPENSSL_free(der);
    ASN1_OBJECT_free(obj);
    ASN1_OCTET_STRING_free(inner);
    ASN1_OCTET_STRING_free(outer);
    return ok;
}

static bool set_names(X509 *x, const char *org, const char *cn, X509 *issuer)
{
    X509_NAME *name = X509_get_subject_name(x);
    if ((org != NULL && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                   (const unsigned char *)org, -1, -1, 0) != 1) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1) {
        return false;
    }
    return X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1;
}

static bool set_validity(X509 *x, bool expired)
{
    time_t now = time(NULL);
    /* Upstream's defaults: 1975-01-01 to now + 10 years (cert.rs into_cert_params). */
    time_t nb = expired ? now - 2 * DAY : 157766400;
    time_t na = expired ? now - DAY : now + 3650L * DAY;
    return ASN1_TIME_set(X509_getm_notBefore(x), nb) != NULL &&
           ASN1_TIME_set(X509_getm_notAfter(x), na) != NULL;
}

X509 *pki_make_cert(const char *org, const char *cn, const struct p256_key *key, X509 *issuer,
                    const struct p256_key *issuer_key, int ca_pathlen, bool expired,
                    const uint8_t *app_id, const char *usage)
{
    EVP_PKEY *pub = NULL, *signer = NULL;
    X509 *x = X509_new();
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    bool ok = x != NULL && p256_to_evp(key, &pub) == DSTACK_OK &&
              p256_to_evp(issuer_key, &signer) == DSTACK_OK && RAND_bytes(serial, 16) == 1;
    serial[0] &= 0x7f;
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
         X509_set_version(x, X509_VERSION_3) == 1 && X509_set_pubkey(x, pub) == 1 &&
         set_names(x, org, cn, issuer) && set_validity(x, expired);
    X509 *self = issuer != NULL ? issuer : x;
    if (ok && ca_pathlen >= 0) {
        char bc[48];
        snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", ca_pathlen);
        ok = add_ext(x, self, NID_basic_constraints, bc) &&
             add_ext(x, self, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") &&
             add_ext(x, self, NID_subject_key_identifier, "hash");
    } else if (ok) {
        ok = add_ext(x, self, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, self, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, self, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    }
    if (ok && app_id != NULL) {
        ok = add_dstack_ext(x, "1.3.6.1.4.1.62397.1.3", app_id, DSTACK_APP_ID_LEN);
    }
    if (ok && usage != NULL) {
        ok = add_dstack_ext(x, "1.3.6.1.4.1.62397.1.4", usage, strlen(usage));
    }
    ok = ok && X509_sign(x, signer, EVP_sha256()) > 0;
    BN_free(bn);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(signer);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

char *pki_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long n;
    if (b != NULL && PEM_write_bio_X509(b, x) == 1 && (n = BIO_get_mem_data(b, &data)) > 0 &&
        (out = malloc((size_t)n + 1)) != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

dstack_err pki_setup(struct peer *p)
{
    if (p256_generate(&p->root_key) != DSTACK_OK || p256_generate(&p->tmp_key) != DSTACK_OK ||
        RAND_bytes(p->k256_root, sizeof p->k256_root) != 1 || !k256_seckey_valid(p->k256_root)) {
        return err_set(DSTACK_ECRYPTO, "cannot make keys");
    }
    p->root_cert = pki_make_cert("Dstack", "Dstack KMS CA", &p->root_key, NULL, &p->root_key, 1,
                                 false, NULL, NULL);
    p->tmp_cert = pki_make_cert("Dstack", "Dstack KMS Temp CA", &p->tmp_key, NULL, &p->tmp_key, 1,
                                false, NULL, NULL);
    p->root_pem = p->root_cert != NULL ? pki_pem(p->root_cert) : NULL;
    if (p->tmp_cert == NULL || p->root_pem == NULL) {
        return err_set(DSTACK_ECRYPTO, "cannot make the CA certificates");
    }
    return DSTACK_OK;
}

dstack_err pki_app_ca(const struct peer *p, const uint8_t app_id[DSTACK_APP_ID_LEN],
                      struct p256_key *key, char **pem)
{
    uint8_t ctx[DSTACK_APP_ID_LEN + 6];
    memcpy(ctx, app_id, DSTACK_APP_ID_LEN);
    memcpy(ctx + DSTACK_APP_ID_LEN, "app-ca", 6);
    /* derive_p256_key_pair(root_ca.key, [app_id, "app-ca"]) (main_service.rs derive_app_ca). */
    dstack_err e = p256_derive(p->root_key.d.b, sizeof p->root_key.d.b, ctx, sizeof ctx, key);
    if (e != DSTACK_OK) {
        return e;
    }
    X509 *x = pki_make_cert("Dstack", "Dstack App CA", key, p->root_cert, &p->root_key, 0, false,
                            app_id, "app:ca");
    *pem = x != NULL ? pki_pem(x) : NULL;
    X509_free(x);
    return *pem != NULL ? DSTACK_OK : DSTACK_ECRYPTO;
}

static char *key_pem(const struct p256_key *k)
{
    char pem[P256_PKCS8_PEM_MAX];
    p256_pkcs8_pem(k, pem);
    char *out = strdup(pem);
    secret_wipe(pem, sizeof pem);
    return out;
}

static void add_hex(cJSON *o, const char *name, const uint8_t *b, size_t len)
{
    char *h = hex_encode_alloc(b, len);
    cJSON_AddStringToObject(o, name, h != NULL ? h : "");
    free(h);
}

/* The app's keys as GetAppKey would hand them out (k256 signed by the KMS k256 root). */
static void add_app_keys(const struct peer *p, cJSON *o)
{
    uint8_t k256[32], pub[K256_PUBKEY_LEN], sig[K256_RSIG_LEN], digest[KECCAK256_LEN];
    uint8_t disk[32], env[32];
    do {
        RAND_bytes(k256, sizeof k256);
    } while (!k256_seckey_valid(k256));
    RAND_bytes(disk, sizeof disk);
    RAND_bytes(env, sizeof env);
    k256_pubkey(k256, pub);
    struct keccak_ctx kc;
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, "dstack-kms-issued:", 18);
    keccak_update(&kc, p->apps[0], DSTACK_APP_ID_LEN);
    keccak_update(&kc, pub, sizeof pub);
    keccak_final(&kc, digest);
    k256_sign_recoverable(p->k256_root, digest, sig);
    add_hex(o, "disk_crypt_key", disk, sizeof disk);
    add_hex(o, "env_crypt_key", env, sizeof env);
    add_hex(o, "k256_key", k256, sizeof k256);
    add_hex(o, "k256_signature", sig, sizeof sig);
    secret_wipe(k256, sizeof k256);
}

dstack_err pki_write_keys_file(const struct peer *p, const char *path, const char *url,
                               bool wrong_ca)
{
    uint8_t root_pub[K256_PUBKEY_LEN];
    struct p256_key other;
    X509 *other_ca = NULL;
    char *ca = NULL, *text = NULL;
    cJSON *o = cJSON_CreateObject(), *kp = cJSON_CreateObject(), *kms = cJSON_CreateObject();
    dstack_err e = DSTACK_ECRYPTO;

    if (wrong_ca && p256_generate(&other) == DSTACK_OK) {
        other_ca =
            pki_make_cert("Dstack", "Dstack KMS CA", &other, NULL, &other, 1, false, NULL, NULL);
        ca = other_ca != NULL ? pki_pem(other_ca) : NULL;
    } else if (!wrong_ca) {
        ca = strdup(p->root_pem);
    }
    char *tmp_key = key_pem(&p->tmp_key), *tmp_cert = pki_pem(p->tmp_cert);
    if (o == NULL || kp == NULL || kms == NULL || ca == NULL || tmp_key == NULL ||
        tmp_cert == NULL || k256_pubkey(p->k256_root, root_pub) != DSTACK_OK) {
        err_set(e, "cannot build the keys file");
        goto out;
    }
    add_app_keys(p, o);
    cJSON_AddStringToObject(o, "gateway_app_id", "any");
    cJSON_AddStringToObject(o, "ca_cert", ca);
    cJSON_AddStringToObject(kms, "url", url);
    add_hex(kms, "pubkey", root_pub, sizeof root_pub);
    cJSON_AddStringToObject(kms, "tmp_ca_key", tmp_key);
    cJSON_AddStringToObject(kms, "tmp_ca_cert", tmp_cert);
    cJSON_AddItemToObject(kp, "Kms", kms);
    kms = NULL;
    cJSON_AddItemToObject(o, "key_provider", kp);
    kp = NULL;
    text = cJSON_Print(o);
    FILE *f = text != NULL ? fopen(path, "w") : NULL;
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        e = err_set(DSTACK_EIO, "%s: cannot write", path);
        goto out;
    }
    e = DSTACK_OK;
out:
    if (text != NULL) {
        secret_wipe(text, strlen(text));
    }
    free(text);
    free(tmp_key);
    free(tmp_cert);
    free(ca);
    X509_free(other_ca);
    cJSON_Delete(kms);
    cJSON_Delete(kp);
    cJSON_Delete(o);
    return e;
}

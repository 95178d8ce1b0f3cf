/* Development keys for the simulator: a keys file issued the way upstream's KMS issues one
 * (dstack/kms/src/main_service.rs:L356-406, crypto.rs:L11-43; docs/simulator.md), from a seed
 * instead of a real KMS root. The derivations are listed in sim_appkeys.h and docs/simulator.md. */
#include "appkeys.h"
#include "tee/sim_appkeys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/keccak.h"
#include "util/error.h"
#include "util/file.h"
#include "x509/p256.h"

/* SHA-256("dstack-c simulator development seed v1") */
const uint8_t appkeys_dev_seed[DSTACK_KEY_LEN] = {
    0xcf, 0x1d, 0x56, 0x50, 0xe5, 0x4a, 0x99, 0x5b, 0xd5, 0x25, 0xf9, 0x4d, 0x66, 0xbe, 0xad, 0xc6,
    0x96, 0x2c, 0xdc, 0x8f, 0xd4, 0xb0, 0xbd, 0xde, 0xac, 0xbb, 0x17, 0x3e, 0x55, 0x35, 0x4d, 0x12,
};

#define INFO_KMS_K256 "dstack-c dev kms k256 root"
#define INFO_KMS_CA "dstack-c dev kms ca p256"
#define CA_NOT_BEFORE 157766400LL /* 1975-01-01T00:00:00Z, rcgen's default */
#define CA_NOT_AFTER 4102444800LL /* 2100-01-01T00:00:00Z: a development CA that never expires */

static dstack_err seed_scalar(const uint8_t seed[static DSTACK_KEY_LEN], const char *info,
                              struct secret32 *out)
{
    struct kdf_slice s = {info, strlen(info)};
    return kdf_derive(seed, DSTACK_KEY_LEN, &s, 1, out->b, sizeof out->b);
}

dstack_err appkeys_dev_kms_pubkey(const uint8_t seed[static DSTACK_KEY_LEN],
                                  uint8_t out[static K256_PUBKEY_LEN])
{
    struct secret32 root;
    dstack_err e = seed_scalar(seed, INFO_KMS_K256, &root);
    if (e == DSTACK_OK) {
        e = k256_pubkey(root.b, out);
    }
    secret_wipe(&root, sizeof root);
    return e;
}

dstack_err appkeys_dh_secret(const uint8_t root_scalar[static DSTACK_KEY_LEN],
                             const void *const *ctx, const size_t *ctx_len, size_t n_ctx,
                             uint8_t out[static DSTACK_SHA256_LEN])
{
    struct kdf_slice info[8];
    struct secret32 d;
    struct p256_key key;
    uint8_t der[P256_PKCS8_LEN];
    dstack_err e;
    if (n_ctx > sizeof info / sizeof info[0]) {
        return DSTACK_EINVAL;
    }
    for (size_t i = 0; i < n_ctx; i++) {
        info[i].p = ctx[i];
        info[i].len = ctx_len[i];
    }
    /* derive_p256_key_pair: IKM = the root's 32-byte scalar (ra-tls kdf.rs:L37-59) */
    if ((e = kdf_derive(root_scalar, DSTACK_KEY_LEN, info, n_ctx, d.b, sizeof d.b)) == DSTACK_OK &&
        (e = p256_from_scalar(d.b, &key)) == DSTACK_OK) {
        p256_pkcs8(&key, der);
        e = hash_sha256(der, sizeof der, out);
    }
    secret_wipe(&d, sizeof d);
    secret_wipe(&key, sizeof key);
    secret_wipe(der, sizeof der);
    return e;
}

/* Self-signed CA like the KMS root: O=Dstack, CN=Dstack KMS CA, CA:TRUE pathlen 1, KU
 * digitalSignature|keyCertSign|cRLSign. Built with OpenSSL's X509 API: the file only has to
 * parse and match its key, not to be byte-identical with rcgen. */
static dstack_err make_ca_cert(const struct p256_key *key, char **pem_out)
{
    dstack_err e = DSTACK_ECRYPTO;
    EVP_PKEY *pkey = NULL;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = NULL;
    BIO *bio = NULL;
    uint8_t serial[DSTACK_SHA256_LEN];
    X509V3_CTX v3;

    *pem_out = NULL;
    if (x == NULL || name == NULL || p256_to_evp(key, &pkey) != DSTACK_OK) {
        goto out;
    }
    /* rcgen's serial rule: SHA-256 of the public point, 20 bytes, top bit clear (upstream
     * dstack/ra-tls/src/cert.rs) */
    if (hash_sha256(key->point, sizeof key->point, serial) != DSTACK_OK) {
        goto out;
    }
    serial[0] &= 0x7f;
    if ((bn = BN_bin2bn(serial, 20, NULL)) == NULL || !X509_set_version(x, X509_VERSION_3) ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Dstack", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)"Dstack KMS CA", -1, -1, 0) ||
        !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)CA_NOT_BEFORE) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)CA_NOT_AFTER) == NULL ||
        !X509_set_pubkey(x, pkey)) {
        goto out;
    }
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    static const struct {
        int nid;
        const char *value;
    } exts[] = {
        {NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
        {NID_basic_constraints, "critical,CA:TRUE,pathlen:1"},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        int ok = ext != NULL && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        if (!ok) {
            goto out;
        }
    }
    if (X509_sign(x, pkey, EVP_sha256()) <= 0 || (bio = BIO_new(BIO_s_mem())) == NULL ||
        !PEM_write_bio_X509(bio, x)) {
        goto out;
    }
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || (*pem_out = strndup(data, (size_t)n)) == NULL) {
        goto out;
    }
    e = DSTACK_OK;
out:
    BIO_free(bio);
    BN_free(bn);
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return e;
}

/* Writes text to path through an exclusively created temporary file in the same folder, mode
 * 0600, then rename (util/file.h). */
static dstack_err write_atomic(const char *path, const char *text)
{
    return file_write_new(path, text, strlen(text), 0600, true);
}

/* Everything a keys file holds, derived from the seed; secrets wiped by dev_keys_wipe. */
struct dev_keys {
    struct secret32 root, ca_d, app_sk;
    struct p256_key ca;
    uint8_t app_pub[K256_PUBKEY_LEN], sig[K256_RSIG_LEN];
    uint8_t disk[DSTACK_SHA256_LEN], env[DSTACK_SHA256_LEN];
    char ca_key_pem[P256_PKCS8_PEM_MAX];
    char *ca_cert_pem;
};

static void dev_keys_wipe(struct dev_keys *k)
{
    free(k->ca_cert_pem);
    secret_wipe(k, sizeof *k);
}

/* The KMS roots from the seed, then what the KMS issues an app from them. */
static dstack_err dev_keys_derive(const uint8_t seed[static DSTACK_KEY_LEN],
                                  const uint8_t app_id[static DSTACK_APP_ID_LEN],
                                  const uint8_t instance_id[static DSTACK_APP_ID_LEN],
                                  struct dev_keys *k)
{
    dstack_err e;
    if ((e = seed_scalar(seed, INFO_KMS_K256, &k->root)) != DSTACK_OK ||
        (e = seed_scalar(seed, INFO_KMS_CA, &k->ca_d)) != DSTACK_OK) {
        return e;
    }
    if (!k256_seckey_valid(k->root.b) || p256_from_scalar(k->ca_d.b, &k->ca) != DSTACK_OK) {
        return err_set(DSTACK_ECRYPTO, "seed gives an invalid KMS root key");
    }
    /* KMS derive_k256_key (crypto.rs:L11-30): app key, then "dstack-kms-issued" signature */
    struct kdf_slice app_info[] = {{app_id, DSTACK_APP_ID_LEN}, {"app-key", 7}};
    if (kdf_derive(k->root.b, sizeof k->root.b, app_info, 2, k->app_sk.b, sizeof k->app_sk.b) !=
            DSTACK_OK ||
        k256_pubkey(k->app_sk.b, k->app_pub) != DSTACK_OK) {
        return err_set(DSTACK_ECRYPTO, "cannot derive the app key");
    }
    uint8_t digest[KECCAK256_LEN];
    struct keccak_ctx kc;
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, "dstack-kms-issued:", 18);
    keccak_update(&kc, app_id, DSTACK_APP_ID_LEN);
    keccak_update(&kc, k->app_pub, sizeof k->app_pub);
    keccak_final(&kc, digest);
    if ((e = k256_sign_recoverable(k->root.b, digest, k->sig)) != DSTACK_OK) {
        return err_set(e, "cannot sign the app key");
    }
    /* KMS GetAppKey disk and env keys (main_service.rs:L356-406) */
    const void *disk_ctx[] = {app_id, instance_id, "app-disk-crypt-key"};
    const size_t disk_len[] = {DSTACK_APP_ID_LEN, DSTACK_APP_ID_LEN, 18};
    const void *env_ctx[] = {app_id, "env-encrypt-key"};
    const size_t env_len[] = {DSTACK_APP_ID_LEN, 15};
    if ((e = appkeys_dh_secret(k->ca.d.b, disk_ctx, disk_len, 3, k->disk)) != DSTACK_OK ||
        (e = appkeys_dh_secret(k->ca.d.b, env_ctx, env_len, 2, k->env)) != DSTACK_OK) {
        return err_set(e, "cannot derive the disk and env keys");
    }
    p256_pkcs8_pem(&k->ca, k->ca_key_pem);
    if ((e = make_ca_cert(&k->ca, &k->ca_cert_pem)) != DSTACK_OK) {
        return err_set(e, "cannot build the CA certificate");
    }
    return DSTACK_OK;
}

/* Wipes the secret strings inside doc before freeing it: the CA key PEM and the three keys
 * json_hex_string put into nodes of their own (no other copy of their hex is made). */
static void doc_wipe_free(cJSON *doc)
{
    if (doc == NULL) {
        return;
    }
    const cJSON *v = json_get(json_get(json_get(doc, "key_provider"), "None"), "key");
    if (v != NULL) {
        secret_wipe(v->valuestring, json_str_len(v));
    }
    static const char *const hex_keys[] = {"disk_crypt_key", "env_crypt_key", "k256_key"};
    for (size_t i = 0; i < sizeof hex_keys / sizeof hex_keys[0]; i++) {
        v = json_get(doc, hex_keys[i]);
        if (v != NULL) {
            secret_wipe((char *)json_str(v), json_str_len(v));
        }
    }
    json_free(doc);
}

/* The keys file in the field order of upstream's AppKeys (dstack-types lib.rs:L2103-2117). */
static dstack_err dev_keys_write(const char *path, const struct dev_keys *k)
{
    dstack_err e;
    char *text = NULL;
    cJSON *doc = cJSON_CreateObject();
    cJSON *kp = cJSON_CreateObject(), *none = cJSON_CreateObject();
    if (!json_set(none, "key", cJSON_CreateString(k->ca_key_pem)) || !json_set(kp, "None", none)) {
        json_free(kp);
        kp = NULL;
    }
    if (doc == NULL || kp == NULL ||
        !json_set(doc, "disk_crypt_key", json_hex_string(k->disk, sizeof k->disk)) ||
        !json_set(doc, "env_crypt_key", json_hex_string(k->env, sizeof k->env)) ||
        !json_set(doc, "k256_key", json_hex_string(k->app_sk.b, sizeof k->app_sk.b)) ||
        !json_set(doc, "k256_signature", json_hex_string(k->sig, sizeof k->sig)) ||
        !json_set(doc, "gateway_app_id", cJSON_CreateString("any")) ||
        !json_set(doc, "ca_cert", cJSON_CreateString(k->ca_cert_pem)) ||
        !json_set(doc, "key_provider", kp)) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
    } else {
        struct json_out o = {.secret = true}; /* its growth leaves no unwiped copy behind */
        json_out_value(&o, doc, 4);
        text = json_out_take(&o, NULL);
        e = text != NULL ? write_atomic(path, text) : err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (text != NULL) {
        secret_wipe(text, strlen(text));
        free(text);
    }
    doc_wipe_free(doc);
    return e;
}

dstack_err appkeys_generate(const char *path, const uint8_t seed[static DSTACK_KEY_LEN],
                            const uint8_t app_id[static DSTACK_APP_ID_LEN],
                            const uint8_t instance_id[static DSTACK_APP_ID_LEN])
{
    struct dev_keys k;
    memset(&k, 0, sizeof k);
    dstack_err e = dev_keys_derive(seed, app_id, instance_id, &k);
    if (e == DSTACK_OK) {
        e = dev_keys_write(path, &k);
    }
    dev_keys_wipe(&k);
    return e;
}

/* Loading the keys file. The simulator's development keys are made in tee/sim_appkeys.c. */
#include "appkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"

#include "crypto/kdf.h"
#include "crypto/keccak.h"
#include "util/error.h"
#include "util/hex.h"

/* Path and purpose of Sign's key (rpc_service.rs:L368-381). */
#define SIGN_KEY_PATH "vms"
#define SIGN_KEY_PURPOSE "signing"
#define K256_KEY_MIN 24 /* elliptic-curve SecretKey::from_slice MIN_SIZE (secret_key.rs L90) */

/* The tree holds its own copies of every string; overwrite them before the document is freed so
 * that the key PEMs and hex keys do not linger on the heap. */
static void wipe_json(cJSON *v)
{
    if (cJSON_IsString(v)) {
        secret_wipe(v->valuestring, json_str_len(v));
    }
    for (cJSON *x = (cJSON_IsObject(v) || cJSON_IsArray(v)) ? v->child : NULL; x != NULL;
         x = x->next) {
        wipe_json(x);
    }
}

/* The fields as found in the document, before they are copied into the locked region. */
struct raw_field {
    const char *name; /* for messages: "k256_key", "key_provider.None.key" */
    const cJSON *v;
    bool hex;
    bool required;
    char label[48]; /* storage for name when it is built at run time */
};

enum {
    F_DISK,
    F_ENV,
    F_K256,
    F_K256_SIG,
    F_GATEWAY,
    F_CA_CERT,
    F_KP_KEY,
    F_KP_MR,
    F_KP_PUBKEY,
    F_KP_URL,
    F_KP_TMP_KEY,
    F_KP_TMP_CERT,
    F_COUNT
};

/* A string field: present and a string, or absent and optional. */
static dstack_err check_field(const char *name, const struct raw_field *f)
{
    if (f->v == NULL) {
        return f->required ? err_set(DSTACK_EFORMAT, "%s: missing field `%s`", name, f->name)
                           : DSTACK_OK;
    }
    if (!cJSON_IsString(f->v)) {
        return err_set(DSTACK_EFORMAT, "%s: %s: expected a %s string", name, f->name,
                       f->hex ? "hex" : "JSON");
    }
    if (f->hex) {
        size_t digits = json_str_len(f->v);
        const char *s = hex_skip_prefix(json_str(f->v), &digits);
        if (digits % 2 != 0) {
            return err_set(DSTACK_EFORMAT, "%s: %s: odd number of hex digits", name, f->name);
        }
        for (size_t i = 0; i < digits; i++) {
            char c = s[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return err_set(DSTACK_EFORMAT, "%s: %s: invalid hex character", name, f->name);
            }
        }
    }
    return DSTACK_OK;
}

/* Bytes the field needs in the arena: decoded length, or the string plus its NUL. */
static size_t field_size(const struct raw_field *f)
{
    if (f->v == NULL) {
        return 0;
    }
    size_t len = json_str_len(f->v);
    if (f->hex) {
        hex_skip_prefix(json_str(f->v), &len);
        return len / 2;
    }
    return len + 1;
}

static const char *key_provider_names[] = {"None", "Local", "Tpm", "Kms"};

/* Finds the key_provider variant and points the provider fields at its members. */
static dstack_err find_provider(const char *name, const cJSON *kp, struct raw_field *f,
                                enum key_provider_kind *kind)
{
    if (kp == NULL) {
        return err_set(DSTACK_EFORMAT, "%s: missing field `key_provider`", name);
    }
    if (!cJSON_IsObject(kp) || cJSON_GetArraySize(kp) != 1) {
        return err_set(DSTACK_EFORMAT,
                       "%s: key_provider: expected an object with one of None, Local, Tpm, Kms",
                       name);
    }
    const char *variant = kp->child->string;
    int which = -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(variant, key_provider_names[i]) == 0) {
            which = i;
        }
    }
    if (which < 0) {
        return err_set(
            DSTACK_EFORMAT,
            "%s: key_provider: unknown variant `%.40s`, expected None, Local, Tpm or Kms", name,
            variant);
    }
    const cJSON *body = json_get(kp, variant);
    if (!cJSON_IsObject(body)) {
        return err_set(DSTACK_EFORMAT, "%s: key_provider.%s: expected an object", name, variant);
    }
    *kind = (enum key_provider_kind)which;
    static const struct {
        int field;
        const char *member;
        bool hex;
        unsigned variants; /* bit i = key_provider_names[i] */
    } members[] = {
        {F_KP_KEY, "key", false, 0x7},
        {F_KP_MR, "mr", true, 0x2},
        {F_KP_PUBKEY, "pubkey", true, 0xc},
        {F_KP_URL, "url", false, 0x8},
        {F_KP_TMP_KEY, "tmp_ca_key", false, 0x8},
        {F_KP_TMP_CERT, "tmp_ca_cert", false, 0x8},
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        if (!(members[i].variants & (1u << which))) {
            continue;
        }
        struct raw_field *rf = &f[members[i].field];
        snprintf(rf->label, sizeof rf->label, "key_provider.%s.%s", variant, members[i].member);
        rf->name = rf->label;
        rf->v = json_get(body, members[i].member);
        rf->hex = members[i].hex;
        rf->required = true;
    }
    return DSTACK_OK;
}

/* Copies field f into the arena; strings come back NUL-terminated. */
static void *arena_put(uint8_t **cursor, const struct raw_field *f, size_t *len)
{
    uint8_t *at = *cursor;
    size_t n = 0;
    if (f->v == NULL) {
        *len = 0;
        return NULL;
    }
    const char *s = json_str(f->v);
    size_t slen = json_str_len(f->v);
    if (f->hex) {
        (void)hex_decode(s, slen, at, slen / 2 + 1, &n); /* checked in check_field */
    } else {
        memcpy(at, s, slen);
        at[slen] = '\0';
        n = slen + 1;
    }
    *cursor = at + n;
    *len = f->hex ? n : slen;
    return at;
}

/* GetKey(vms, signing) for one algorithm: the public key and sig0 (docs/api/GetKey.md,
 * docs/api/Sign.md). */
static dstack_err precompute_signing(const struct app_keys *k, struct appkeys_signing_key *out)
{
    char pubhex[2 * K256_PUBKEY_LEN + 1];
    uint8_t digest[KECCAK256_LEN];
    struct keccak_ctx kc;
    hex_encode(out->pub, out->pub_len, pubhex);
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, SIGN_KEY_PURPOSE ":", strlen(SIGN_KEY_PURPOSE) + 1);
    keccak_update(&kc, pubhex, 2 * out->pub_len);
    keccak_final(&kc, digest);
    return k256_sign_recoverable(k->k256_scalar.b, digest, out->sig0);
}

static dstack_err derive_cached(struct app_keys *k, const char *name)
{
    dstack_err e;
    /* The signing scalar: the file's bytes left-padded to 32 (SigningKey::from_slice). */
    memset(k->k256_scalar.b, 0, sizeof k->k256_scalar.b);
    memcpy(k->k256_scalar.b + (K256_SECKEY_LEN - k->k256_key_len), k->k256_key, k->k256_key_len);
    if (k256_pubkey(k->k256_scalar.b, k->k256_pubkey) != DSTACK_OK) {
        return err_set(
            DSTACK_EFORMAT,
            "%s: k256_key: not a valid secp256k1 private key (zero or >= the group order)", name);
    }
    if ((e = kdf_extract(k->k256_key, k->k256_key_len, &k->prk)) != DSTACK_OK) {
        return err_set(e, "%s: k256_key: key derivation failed", name);
    }
    struct kdf_slice path = {SIGN_KEY_PATH, strlen(SIGN_KEY_PATH)};
    if ((e = kdf_expand(&k->prk, &path, 1, k->vms_key.b, sizeof k->vms_key.b)) != DSTACK_OK) {
        return err_set(e, "%s: k256_key: key derivation failed", name);
    }
    k->vms_k256.pub_len = K256_PUBKEY_LEN;
    k->vms_ed25519.pub_len = ED25519_PUBKEY_LEN;
    k->vms_ed25519_pkey = ed25519_key_new(k->vms_key.b);
    /* A derived key outside [1, n) has probability ~2^-128; upstream would then fail every
     * secp256k1 Sign with "Failed to parse k256 key". Refusing the file says so up front. */
    if (k256_pubkey(k->vms_key.b, k->vms_k256.pub) != DSTACK_OK || k->vms_ed25519_pkey == NULL ||
        ed25519_key_pubkey(k->vms_ed25519_pkey, k->vms_ed25519.pub) != DSTACK_OK ||
        precompute_signing(k, &k->vms_k256) != DSTACK_OK ||
        precompute_signing(k, &k->vms_ed25519) != DSTACK_OK) {
        return err_set(DSTACK_ECRYPTO, "%s: k256_key: cannot derive the signing key", name);
    }
    return DSTACK_OK;
}

/* Points f at the document's fields and checks them; *region: the locked bytes they need. */
static dstack_err read_fields(const char *name, const cJSON *doc, struct raw_field f[F_COUNT],
                              enum key_provider_kind *kind, size_t *region)
{
    dstack_err e;
    if (!cJSON_IsObject(doc)) {
        return err_set(DSTACK_EFORMAT, "%s: expected a JSON object", name);
    }
    for (int i = F_DISK; i <= F_CA_CERT; i++) {
        f[i].v = json_get(doc, f[i].name);
    }
    if ((e = find_provider(name, json_get(doc, "key_provider"), f, kind)) != DSTACK_OK) {
        return e;
    }
    *region = sizeof(struct app_keys);
    for (int i = 0; i < F_COUNT; i++) {
        if (f[i].name == NULL) {
            continue;
        }
        if ((e = check_field(name, &f[i])) != DSTACK_OK) {
            return e;
        }
        *region += field_size(&f[i]);
    }
    size_t k256_len = field_size(&f[F_K256]);
    if (k256_len < K256_KEY_MIN || k256_len > K256_SECKEY_LEN) {
        return err_set(DSTACK_EFORMAT,
                       "%s: k256_key: expected 24 to 32 bytes (a secp256k1 private key), got %zu",
                       name, k256_len);
    }
    if (field_size(&f[F_K256_SIG]) > APPKEYS_SIG_MAX) {
        return err_set(DSTACK_EFORMAT, "%s: k256_signature: longer than %d bytes", name,
                       APPKEYS_SIG_MAX);
    }
    return DSTACK_OK;
}

/* Copies the checked fields into k's locked arena, which follows the struct. */
static void fill_keys(struct app_keys *k, const struct raw_field f[F_COUNT])
{
    uint8_t *cursor = (uint8_t *)(k + 1);
    size_t n;
    uint8_t *tmp = arena_put(&cursor, &f[F_K256], &n);
    memcpy(k->k256_key, tmp, n);
    k->k256_key_len = n;
    secret_wipe(tmp, n);
    tmp = arena_put(&cursor, &f[F_K256_SIG], &n);
    memcpy(k->k256_signature, tmp, n);
    k->k256_signature_len = n;
    k->disk_crypt_key.p = arena_put(&cursor, &f[F_DISK], &k->disk_crypt_key.len);
    k->env_crypt_key.p = arena_put(&cursor, &f[F_ENV], &k->env_crypt_key.len);
    k->gateway_app_id = arena_put(&cursor, &f[F_GATEWAY], &n);
    k->ca_cert = arena_put(&cursor, &f[F_CA_CERT], &n);
    k->ca_key = arena_put(&cursor, &f[F_KP_KEY], &n);
    k->mr.p = arena_put(&cursor, &f[F_KP_MR], &k->mr.len);
    k->pubkey.p = arena_put(&cursor, &f[F_KP_PUBKEY], &k->pubkey.len);
    k->kms_url = arena_put(&cursor, &f[F_KP_URL], &n);
    k->tmp_ca_key = arena_put(&cursor, &f[F_KP_TMP_KEY], &n);
    k->tmp_ca_cert = arena_put(&cursor, &f[F_KP_TMP_CERT], &n);
}

dstack_err appkeys_parse(const char *name, const char *text, size_t len, struct app_keys **out)
{
    dstack_err e = DSTACK_OK;
    struct app_keys *k = NULL;
    size_t region = 0;
    struct json_error jerr;
    enum key_provider_kind kind = KEY_PROVIDER_NONE;
    struct raw_field f[F_COUNT] = {
        [F_DISK] = {.name = "disk_crypt_key", .hex = true, .required = true},
        [F_ENV] = {.name = "env_crypt_key", .hex = true, .required = false},
        [F_K256] = {.name = "k256_key", .hex = true, .required = true},
        [F_K256_SIG] = {.name = "k256_signature", .hex = true, .required = true},
        [F_GATEWAY] = {.name = "gateway_app_id", .hex = false, .required = true},
        [F_CA_CERT] = {.name = "ca_cert", .hex = false, .required = true},
    };

    *out = NULL;
    cJSON *doc = json_parse(text, len, 0, &jerr);
    if (doc == NULL) {
        /* jerr.text may quote the input, which holds keys: report the position only. */
        e = err_set(DSTACK_EFORMAT, "%s: invalid JSON at line %d column %d", name, jerr.line,
                    jerr.column);
        goto out;
    }
    if ((e = read_fields(name, doc, f, &kind, &region)) != DSTACK_OK) {
        goto out;
    }
    k = secret_alloc(region);
    if (k == NULL) {
        e = err_set(DSTACK_ENOMEM, "%s: cannot allocate locked memory", name);
        goto out;
    }
    memset(k, 0, sizeof *k);
    k->region_len = region;
    k->provider = kind;
    fill_keys(k, f);
    if ((e = derive_cached(k, name)) != DSTACK_OK) {
        goto out;
    }
    *out = k;
    k = NULL;
out:
    appkeys_free(k);
    if (doc != NULL) {
        wipe_json(doc);
        json_free(doc);
    }
    return e;
}

dstack_err appkeys_load(const char *path, struct app_keys **out)
{
    dstack_err e;
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    /* O_NONBLOCK: a FIFO in place of the file must not block start-up (fstat refuses it). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *fp = fd >= 0 ? fdopen(fd, "rb") : NULL;

    *out = NULL;
    if (fp == NULL) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
        }
        return err_set(DSTACK_EIO, "%s: %s", path, strerror(saved));
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > APPKEYS_MAX_FILE) {
        fclose(fp);
        return err_set(DSTACK_EIO, "%s: not a regular file of at most %u bytes", path,
                       APPKEYS_MAX_FILE);
    }
    len = (size_t)st.st_size;
    /* The text holds the keys: read it into locked memory too. */
    text = secret_alloc(len + 1);
    if (text == NULL) {
        fclose(fp);
        return err_set(DSTACK_ENOMEM, "%s: cannot allocate locked memory", path);
    }
    setvbuf(fp, NULL, _IONBF, 0); /* no stdio buffer: it would keep a copy of the keys */
    size_t got = fread(text, 1, len, fp);
    fclose(fp);
    if (got != len) {
        e = err_set(DSTACK_EIO, "%s: short read", path);
    } else {
        e = appkeys_parse(path, text, len, out);
    }
    secret_free(text, len + 1);
    return e;
}

void appkeys_free(struct app_keys *keys)
{
    if (keys == NULL) {
        return;
    }
    EVP_PKEY_free(keys->vms_ed25519_pkey);
    secret_free(keys, keys->region_len);
}

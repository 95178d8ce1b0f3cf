/* GetKey, Sign, Verify (dstack.sock) and DeriveK256Key (tappd.sock), reproducing upstream's
 * dstack/guest-agent/src/rpc_service.rs:L310-459, L537-545 at 312dc605 (docs/api/GetKey.md,
 * Sign.md, Verify.md, DeriveK256Key.md). Everything that does not depend on the request (the HKDF
 * extract step, Sign's key, its public keys and chain) is computed once when the keys file is
 * loaded (appkeys.c). */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "appkeys.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/k256.h"
#include "crypto/kdf.h"
#include "crypto/keccak.h"
#include "handlers.h"
#include "util/hex.h"
#include "util/utf8.h"

#define ERR_UNSUPPORTED "Unsupported algorithm"
/* Malformed keys and signatures: the text of the `signature` crate's Error (Display
 * "signature error"), which is what upstream's `?` on from_sec1_bytes / from_slice yields. */
#define ERR_SIGNATURE "signature error"
#define PREHASH_MIN 16 /* ecdsa bits2field: at least half the field size (hazmat.rs:L185-206) */

enum key_alg { ALG_SECP256K1, ALG_ED25519, ALG_SECP256K1_PREHASHED, ALG_EMPTY, ALG_OTHER };

/* normalize_algorithm (rpc_service.rs:L474-481): only "k256" is an alias, case-sensitive. */
static enum key_alg parse_alg(const char *s)
{
    if (strcmp(s, "secp256k1") == 0 || strcmp(s, "k256") == 0) {
        return ALG_SECP256K1;
    }
    if (strcmp(s, "ed25519") == 0) {
        return ALG_ED25519;
    }
    if (strcmp(s, "secp256k1_prehashed") == 0) {
        return ALG_SECP256K1_PREHASHED;
    }
    return s[0] == '\0' ? ALG_EMPTY : ALG_OTHER;
}

/* A string field with its exact length (a JSON string may hold U+0000). */
static dstack_err arg_text(struct rpc_call *call, const char *name, const char **s, size_t *len)
{
    const cJSON *v = json_get(call->args, name);
    if (cJSON_IsString(v)) {
        /* Taken as is: serde's String may hold U+0000, and upstream derives keys from such a
         * path (rpc_arg_string refuses NUL for C callers that stop at it). */
        *s = json_str(v);
        *len = json_str_len(v);
    } else if (rpc_arg_string(call, name, s) != DSTACK_OK) {
        return DSTACK_EINVAL; /* the decoder's type error */
    } else {
        *len = strlen(*s);
    }
    if (!utf8_valid((const unsigned char *)*s, *len)) {
        return err_set(DSTACK_EINVAL, "%s: invalid UTF-8", name);
    }
    return DSTACK_OK;
}

struct derived_key {
    struct secret32 key;
    uint8_t sig0[K256_RSIG_LEN];
};

/* GetKey's computation (rpc_service.rs:L310-351): key = HKDF(k256_key, path); the app key
 * signs keccak256(purpose ":" hex(pubkey)) with pubkey the ed25519 or compressed secp256k1 key
 * of the same 32 bytes. */
static dstack_err derive_key(struct rpc_call *call, struct derived_key *out)
{
    const struct app_keys *keys = call->agent->keys;
    const char *path, *purpose, *algorithm;
    size_t path_len, purpose_len, alg_len;
    uint8_t pub[K256_PUBKEY_LEN];
    size_t pub_len;
    char pubhex[2 * K256_PUBKEY_LEN + 1];
    uint8_t digest[KECCAK256_LEN];
    dstack_err rc = DSTACK_EINVAL;

    if (arg_text(call, "path", &path, &path_len) != DSTACK_OK ||
        arg_text(call, "purpose", &purpose, &purpose_len) != DSTACK_OK ||
        arg_text(call, "algorithm", &algorithm, &alg_len) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    enum key_alg alg = parse_alg(algorithm);
    if (alg_len != strlen(algorithm) ||
        (alg != ALG_SECP256K1 && alg != ALG_ED25519 && alg != ALG_EMPTY)) {
        return err_set(DSTACK_EINVAL, ERR_UNSUPPORTED);
    }
    struct kdf_slice info = {path, path_len};
    if (kdf_expand(&keys->prk, &info, 1, out->key.b, sizeof out->key.b) != DSTACK_OK) {
        (void)err_set(DSTACK_EINVAL, "Failed to derive %s key",
                      alg == ALG_ED25519 ? "ed25519" : "k256");
        goto out;
    }
    if (alg == ALG_ED25519) {
        pub_len = ED25519_PUBKEY_LEN;
        if (ed25519_pubkey(out->key.b, pub) != DSTACK_OK) {
            (void)err_set(DSTACK_EINVAL, "Failed to derive ed25519 key");
            goto out;
        }
    } else {
        pub_len = K256_PUBKEY_LEN;
        if (k256_pubkey(out->key.b, pub) != DSTACK_OK) {
            (void)err_set(DSTACK_EINVAL, "Failed to parse k256 key");
            goto out;
        }
    }
    hex_encode(pub, pub_len, pubhex);
    struct keccak_ctx kc;
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, purpose, purpose_len);
    keccak_update(&kc, ":", 1);
    keccak_update(&kc, pubhex, 2 * pub_len);
    keccak_final(&kc, digest);
    if (k256_sign_recoverable(keys->k256_scalar.b, digest, out->sig0) != DSTACK_OK) {
        (void)err_set(DSTACK_EINVAL, "Failed to parse app k256 key");
        goto out;
    }
    rc = DSTACK_OK;
out:
    if (rc != DSTACK_OK) {
        secret_wipe(out, sizeof *out);
    }
    return rc;
}

/* ---- answers ----------------------------------------------------------------------------
 * The answers are small objects of ASCII keys whose values are hex strings, arrays of them or
 * a bool. They are written directly with the shared capped writer (lib/json json_out) as the
 * compact JSON json_dump makes of them (rpc.h result_text): a tree, five hex allocations and a
 * dump cost about a tenth of a Sign (docs/performance.md). One allocation of ANSWER_MAX, handed
 * over as the result; the writer wipes what it gives up (GetKey's answer holds a private key). */
#define ANSWER_MAX 1024 /* Sign: 4 signatures/keys of at most 2 * APPKEYS_SIG_MAX digits */

static void ans_begin(struct json_out *a)
{
    *a = (struct json_out){.max = ANSWER_MAX, .secret = true};
    json_out_reserve(a, ANSWER_MAX);
}

static dstack_err ans_finish(struct json_out *a, struct rpc_call *call)
{
    call->result_text = json_out_take(a, &call->result_text_len);
    return call->result_text != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

/* {"<key_field>":hex(key),"<chain_field>":[hex(sig0),hex(k256_signature)]} */
static dstack_err key_response(struct rpc_call *call, const char *key_field,
                               const char *chain_field)
{
    const struct app_keys *keys = call->agent->keys;
    struct derived_key dk;
    struct json_out a;
    if (derive_key(call, &dk) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    ans_begin(&a);
    json_out_cstr(&a, "{\"");
    json_out_cstr(&a, key_field);
    json_out_cstr(&a, "\":");
    json_out_hex(&a, dk.key.b, sizeof dk.key.b);
    json_out_cstr(&a, ",\"");
    json_out_cstr(&a, chain_field);
    json_out_cstr(&a, "\":[");
    json_out_hex(&a, dk.sig0, sizeof dk.sig0);
    json_out_cstr(&a, ",");
    json_out_hex(&a, keys->k256_signature, keys->k256_signature_len);
    json_out_cstr(&a, "]}");
    secret_wipe(&dk, sizeof dk);
    return ans_finish(&a, call);
}

dstack_err h_get_key(struct rpc_call *call)
{
    return key_response(call, "key", "signature_chain");
}

/* Tappd.DeriveK256Key: GetKey with renamed fields (rpc_service.rs:L537-545). */
dstack_err h_derive_k256_key(struct rpc_call *call)
{
    return key_response(call, "k256_key", "k256_signature_chain");
}

dstack_err h_sign(struct rpc_call *call)
{
    const struct app_keys *keys = call->agent->keys;
    const char *algorithm;
    size_t alg_len;
    uint8_t *data = NULL;
    size_t data_len = 0;
    uint8_t sig[K256_SIG_LEN], z[K256_DIGEST_LEN];
    const struct appkeys_signing_key *sk;
    dstack_err rc = DSTACK_EINVAL;

    if (arg_text(call, "algorithm", &algorithm, &alg_len) != DSTACK_OK ||
        rpc_arg_bytes(call, "data", &data, &data_len) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    enum key_alg alg = alg_len == strlen(algorithm) ? parse_alg(algorithm) : ALG_OTHER;
    switch (alg) {
    case ALG_ED25519:
        sk = &keys->vms_ed25519;
        if (ed25519_key_sign(keys->vms_ed25519_pkey, data, data_len, sig) != DSTACK_OK) {
            (void)err_set(DSTACK_EINVAL, "Failed to sign");
            goto out;
        }
        break;
    case ALG_SECP256K1: /* k256's Signer: ECDSA over SHA-256(data) */
        sk = &keys->vms_k256;
        if (hash_sha256(data, data_len, z) != DSTACK_OK ||
            k256_sign(keys->vms_key.b, z, sig) != DSTACK_OK) {
            (void)err_set(DSTACK_EINVAL, "Failed to sign");
            goto out;
        }
        break;
    case ALG_SECP256K1_PREHASHED:
        sk = &keys->vms_k256;
        if (data_len != K256_DIGEST_LEN) {
            (void)err_set(DSTACK_EINVAL,
                          "Pre-hashed signing requires a 32-byte digest, but received %zu bytes",
                          data_len);
            goto out;
        }
        if (k256_sign(keys->vms_key.b, data, sig) != DSTACK_OK) {
            (void)err_set(DSTACK_EINVAL, "Failed to sign");
            goto out;
        }
        break;
    default: /* "" derives the key upstream, then falls to the same error */
        (void)err_set(DSTACK_EINVAL, ERR_UNSUPPORTED);
        goto out;
    }
    size_t sig_len = alg == ALG_ED25519 ? ED25519_SIG_LEN : K256_SIG_LEN;
    /* {"signature":..,"signature_chain":[sig,sig0,k256_signature],"public_key":..} */
    struct json_out a;
    ans_begin(&a);
    json_out_cstr(&a, "{\"signature\":");
    json_out_hex(&a, sig, sig_len);
    json_out_cstr(&a, ",\"signature_chain\":[");
    json_out_hex(&a, sig, sig_len);
    json_out_cstr(&a, ",");
    json_out_hex(&a, sk->sig0, sizeof sk->sig0);
    json_out_cstr(&a, ",");
    json_out_hex(&a, keys->k256_signature, keys->k256_signature_len);
    json_out_cstr(&a, "],\"public_key\":");
    json_out_hex(&a, sk->pub, sk->pub_len);
    json_out_cstr(&a, "}");
    rc = ans_finish(&a, call);
out:
    secret_wipe(z, sizeof z);
    free(data);
    return rc;
}

dstack_err h_verify(struct rpc_call *call)
{
    const char *algorithm;
    size_t alg_len;
    uint8_t *data = NULL, *sig = NULL, *pub = NULL;
    size_t data_len = 0, sig_len = 0, pub_len = 0;
    uint8_t z[K256_DIGEST_LEN];
    bool valid = false;
    dstack_err rc = DSTACK_EINVAL;
    const char *what = NULL;
    dstack_err e;

    if (arg_text(call, "algorithm", &algorithm, &alg_len) != DSTACK_OK ||
        rpc_arg_bytes(call, "data", &data, &data_len) != DSTACK_OK ||
        rpc_arg_bytes(call, "signature", &sig, &sig_len) != DSTACK_OK ||
        rpc_arg_bytes(call, "public_key", &pub, &pub_len) != DSTACK_OK) {
        goto out;
    }
    enum key_alg alg = alg_len == strlen(algorithm) ? parse_alg(algorithm) : ALG_OTHER;
    switch (alg) {
    case ALG_ED25519:
        /* VerifyingKey::from_bytes(&[u8; 32]): the length first, "invalid public key" */
        if (pub_len != ED25519_PUBKEY_LEN) {
            (void)err_set(DSTACK_EINVAL, "invalid public key");
            goto out;
        }
        e = ed25519_verify(pub, pub_len, sig, sig_len, data, data_len, &valid, &what);
        if (e == DSTACK_EFORMAT) {
            /* dalek: InternalError::PointDecompression / Signature::from_slice */
            (void)err_set(DSTACK_EINVAL, "%s",
                          strcmp(what, "public key") == 0 ? ERR_SIGNATURE
                              ": Cannot decompress Edwards point"
                                                          : ERR_SIGNATURE);
            goto out;
        }
        break;
    case ALG_SECP256K1:
    case ALG_SECP256K1_PREHASHED:
        memset(z, 0, sizeof z);
        if (alg == ALG_SECP256K1) {
            if (hash_sha256(data, data_len, z) != DSTACK_OK) {
                (void)err_set(DSTACK_EINVAL, "Failed to hash data");
                goto out;
            }
        } else if (data_len >= K256_DIGEST_LEN) {
            memcpy(z, data, K256_DIGEST_LEN); /* bits2field: longer digests are truncated */
        } else if (data_len >= PREHASH_MIN) {
            memcpy(z + (K256_DIGEST_LEN - data_len), data, data_len); /* left-padded */
        }
        e = k256_verify(pub, pub_len, sig, sig_len, z, &valid, &what);
        if (e == DSTACK_EFORMAT) {
            (void)err_set(DSTACK_EINVAL, ERR_SIGNATURE);
            goto out;
        }
        /* key and signature parse first; a digest shorter than 16 bytes then fails verify */
        if (alg == ALG_SECP256K1_PREHASHED && data_len < PREHASH_MIN) {
            valid = false;
        }
        break;
    default:
        (void)err_set(DSTACK_EINVAL, ERR_UNSUPPORTED);
        goto out;
    }
    if (e != DSTACK_OK) {
        (void)err_set(DSTACK_EINVAL, "verification failed: %s", dstack_err_str(e));
        goto out;
    }
    static const char yes[] = "{\"valid\":true}", no[] = "{\"valid\":false}";
    call->result_text = strdup(valid ? yes : no);
    if (call->result_text == NULL) {
        (void)err_set(DSTACK_EINVAL, "out of memory");
        goto out;
    }
    call->result_text_len = valid ? sizeof yes - 1 : sizeof no - 1;
    rc = DSTACK_OK;
out:
    free(data);
    free(sig);
    free(pub);
    return rc;
}

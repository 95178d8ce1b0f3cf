/* Wallet helpers: Solana keypairs and the TLS-key ("deriveKey") account variants of
 * docs/sdk.md and docs/sdk.md.
 *
 * GetKey answers already carry 32 uniformly random bytes, so to_account/to_keypair and their
 * "secure" twins use them as they are (sdk/js/src/viem.ts, solana.ts; Python ethereum.py,
 * solana.py). Only TLS-key answers differ: the original helpers took the first 32 bytes of the
 * PKCS#8 DER, a header that is the same for every P-256 key (every app got one wallet); the secure
 * helpers hash the whole DER with SHA-256. Both are reproduced byte for byte. */
#include <dstack/helpers.h>

#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "util/secret.h"

dstack_err dstack_solana_keypair(const uint8_t seed[DSTACK_KEY_LEN],
                                 struct dstack_solana_keypair *out)
{
    err_clear();
    if (seed == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_solana_keypair: NULL argument");
    }
    memset(out, 0, sizeof *out);
    /* Keypair.fromSeed: ed25519 public key of the seed; secretKey = seed || public key. */
    if (ed25519_pubkey(seed, out->public_key) != DSTACK_OK) {
        return err_set(DSTACK_ECRYPTO, "ed25519 public key derivation failed");
    }
    memcpy(out->secret_key, seed, DSTACK_KEY_LEN);
    memcpy(out->secret_key + DSTACK_KEY_LEN, out->public_key, DSTACK_SOLANA_PUBKEY_LEN);
    dstack_err err = dstack_base58_encode(out->public_key, sizeof out->public_key,
                                          out->public_key_base58, sizeof out->public_key_base58);
    if (err != DSTACK_OK) {
        dstack_solana_keypair_wipe(out);
    }
    return err;
}

void dstack_solana_keypair_wipe(struct dstack_solana_keypair *kp)
{
    if (kp != NULL) {
        secret_wipe(kp, sizeof *kp);
    }
}

/* The deprecation text of the Python SDK (ethereum.py / solana.py), with its function name. */
static void warn_tls_key(dstack_log_fn log, void *user, const char *fn)
{
    if (log != NULL) {
        char line[160];
        (void)snprintf(line, sizeof line,
                       "%s: Please don't use getTlsKey method to get key, use getKey instead.", fn);
        log(DSTACK_LOG_WARN, line, user);
    }
}

dstack_err dstack_tls_key_wallet_seed(const struct dstack_get_tls_key_response *k, bool secure,
                                      uint8_t seed[DSTACK_KEY_LEN])
{
    err_clear();
    if (k == NULL || seed == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_tls_key_wallet_seed: NULL argument");
    }
    memset(seed, 0, DSTACK_KEY_LEN);
    struct dstack_bytes der = {0};
    /* as_uint8array(32) for the legacy seed, as_uint8array() (all of it) for the secure one. */
    dstack_err err = dstack_get_tls_key_response_der(k, secure ? 0 : DSTACK_KEY_LEN, &der);
    if (err != DSTACK_OK) {
        return err;
    }
    if (secure) {
        err = hash_sha256(der.data, der.len, seed);
        if (err != DSTACK_OK) {
            err = err_set(err, "SHA-256 failed");
        }
    } else {
        memcpy(seed, der.data, DSTACK_KEY_LEN);
    }
    dstack_bytes_wipe_free(&der);
    return err;
}

static dstack_err tls_eth(const struct dstack_get_tls_key_response *k, bool secure,
                          dstack_log_fn log, void *user, char out[DSTACK_ETH_ADDRESS_LEN + 1])
{
    if (out != NULL) {
        out[0] = '\0';
    }
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "NULL output");
    }
    warn_tls_key(log, user, secure ? "to_account_secure" : "to_account");
    struct secret32 seed;
    dstack_err err = dstack_tls_key_wallet_seed(k, secure, seed.b);
    if (err == DSTACK_OK) {
        err = dstack_eth_address(seed.b, out);
    }
    secret_wipe(&seed, sizeof seed);
    return err;
}

static dstack_err tls_solana(const struct dstack_get_tls_key_response *k, bool secure,
                             dstack_log_fn log, void *user, struct dstack_solana_keypair *out)
{
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "NULL output");
    }
    memset(out, 0, sizeof *out);
    warn_tls_key(log, user, secure ? "to_keypair_secure" : "to_keypair");
    struct secret32 seed;
    dstack_err err = dstack_tls_key_wallet_seed(k, secure, seed.b);
    if (err == DSTACK_OK) {
        err = dstack_solana_keypair(seed.b, out);
    }
    secret_wipe(&seed, sizeof seed);
    return err;
}

dstack_err dstack_eth_address_from_tls_key(const struct dstack_get_tls_key_response *k,
                                           dstack_log_fn log, void *log_user,
                                           char out[DSTACK_ETH_ADDRESS_LEN + 1])
{
    return tls_eth(k, false, log, log_user, out);
}

dstack_err dstack_eth_address_from_tls_key_secure(const struct dstack_get_tls_key_response *k,
                                                  dstack_log_fn log, void *log_user,
                                                  char out[DSTACK_ETH_ADDRESS_LEN + 1])
{
    return tls_eth(k, true, log, log_user, out);
}

dstack_err dstack_solana_keypair_from_tls_key(const struct dstack_get_tls_key_response *k,
                                              dstack_log_fn log, void *log_user,
                                              struct dstack_solana_keypair *out)
{
    return tls_solana(k, false, log, log_user, out);
}

dstack_err dstack_solana_keypair_from_tls_key_secure(const struct dstack_get_tls_key_response *k,
                                                     dstack_log_fn log, void *log_user,
                                                     struct dstack_solana_keypair *out)
{
    return tls_solana(k, true, log, log_user, out);
}

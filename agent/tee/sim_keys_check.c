/* The simulator on a keys file issued for another app (docs/simulator.md, "Upstream's keys
 * without attestation.bin"): GetKey's signature chain ends in k256_signature, which the issuing
 * KMS made over keccak256("dstack-kms-issued:" || app_id || k256_pubkey). A file issued for
 * another app id than the one Info reports gives chains that recover to a key nobody trusts. */
#include "tee/sim_keys_check.h"

#include <string.h>

#include <dstack/crypto.h>

#include "appkeys.h"
#include "crypto/k256.h"
#include "log.h"
#include "tee/sim_appkeys.h"
#include "tee/sim_boot.h"
#include "tee/sim_pck.h"
#include "util/hex.h"

/* Upstream's simulator files (sdk/simulator/appkeys.json with its attestation.bin): the app id
 * of the attestation and the KMS root that issued the keys for it (docs/simulator.md). */
static const char upstream_app_id[] = "5bb4ff9a3837357f19dc176407a5709c62eb6c56";
static const char upstream_kms_root[] =
    "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6";

/* The KMS root key the keys file's signature recovers to for app_id. */
static bool keys_issuer(const struct app_keys *k, const uint8_t app_id[DSTACK_APP_ID_LEN],
                        uint8_t out[K256_PUBKEY_LEN])
{
    static const char prefix[] = "dstack-kms-issued:";
    uint8_t msg[sizeof prefix - 1 + DSTACK_APP_ID_LEN + K256_PUBKEY_LEN];
    uint8_t digest[DSTACK_KECCAK256_LEN];
    if (k->k256_signature_len != K256_RSIG_LEN) {
        return false;
    }
    memcpy(msg, prefix, sizeof prefix - 1);
    memcpy(msg + sizeof prefix - 1, app_id, DSTACK_APP_ID_LEN);
    memcpy(msg + sizeof prefix - 1 + DSTACK_APP_ID_LEN, k->k256_pubkey, K256_PUBKEY_LEN);
    dstack_keccak256(msg, sizeof msg, digest);
    return k256_recover(digest, k->k256_signature, out) == DSTACK_OK;
}

void sim_keys_check(const struct agent *a, const struct agent_config *cfg)
{
    uint8_t compose_hash[DSTACK_SHA256_LEN], instance_id[DSTACK_APP_ID_LEN], seed[DSTACK_KEY_LEN];
    uint8_t ours[K256_PUBKEY_LEN];
    uint8_t issuer[K256_PUBKEY_LEN], up_id[DSTACK_APP_ID_LEN], up_root[K256_PUBKEY_LEN];
    size_t n = 0;
    /* An attestation file brings the app id its keys were issued for; without one the app id
     * is the compose's, as the simulator derives it (sim_boot_identity). */
    if (cfg->attestation_file[0] != '\0' || a->compose_text == NULL ||
        sim_boot_identity(cfg->sim_seed, (const uint8_t *)a->compose_text, a->compose_len,
                          compose_hash, instance_id) != DSTACK_OK) {
        return;
    }
    const uint8_t *app_id = compose_hash; /* its first 20 bytes (tee/sim_boot.h) */
    if (cfg->sim_seed[0] == '\0') {
        memcpy(seed, appkeys_dev_seed, sizeof seed);
    } else if (quote_seed_from_string(cfg->sim_seed, seed) != DSTACK_OK) {
        return;
    }
    bool ok = appkeys_dev_kms_pubkey(seed, ours) == DSTACK_OK &&
              keys_issuer(a->keys, app_id, issuer) && memcmp(issuer, ours, sizeof ours) == 0;
    memset(seed, 0, sizeof seed);
    if (ok) {
        return;
    }
    char id_hex[2 * DSTACK_APP_ID_LEN + 1];
    hex_encode(app_id, DSTACK_APP_ID_LEN, id_hex);
    bool upstream =
        hex_decode(upstream_app_id, sizeof upstream_app_id - 1, up_id, sizeof up_id, &n) ==
            DSTACK_OK &&
        hex_decode(upstream_kms_root, sizeof upstream_kms_root - 1, up_root, sizeof up_root, &n) ==
            DSTACK_OK &&
        keys_issuer(a->keys, up_id, issuer) && memcmp(issuer, up_root, sizeof up_root) == 0;
    if (upstream) {
        log_warn("%s holds upstream's simulator keys: its k256_signature was issued by upstream's "
                 "KMS key %.16s... for app id %s. Without upstream's attestation.bin this "
                 "simulator's app id is %s, so GetKey and Sign signature chains recovered with it "
                 "do not verify against upstream's KMS key. Put upstream's attestation.bin beside "
                 "it and set core.simulator.attestation_file (or --attestation) to serve app id "
                 "%s.",
                 cfg->keys_file, upstream_kms_root, upstream_app_id, id_hex, upstream_app_id);
        return;
    }
    log_warn("%s was not issued for this simulator's app id %s by its development KMS: GetKey and "
             "Sign signature chains recovered with that app id will not verify against the key "
             "that issued the file. Serve the attestation it was issued with (--attestation), or "
             "remove the file to have one generated.",
             cfg->keys_file, id_hex);
}

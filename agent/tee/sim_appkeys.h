/* Development keys for the simulator (docs/simulator.md): a keys file issued the way upstream's
 * KMS issues one (dstack/kms/src/main_service.rs, crypto.rs), from a 32-byte seed. Not part of
 * the production agent.
 *
 * appkeys_generate derives, with HKDF-RATLS = HKDF-SHA256 salt "RATLS" (lib/crypto/kdf.h):
 *
 *   kms_k256_root  = HKDF-RATLS(seed, "dstack-c dev kms k256 root")        secp256k1 scalar
 *   kms_ca_key     = HKDF-RATLS(seed, "dstack-c dev kms ca p256")          P-256 scalar
 *   k256_key       = HKDF-RATLS(kms_k256_root, app_id || "app-key")        KMS derive_k256_key
 *   k256_signature = ECDSA-rec(kms_k256_root,
 *                      keccak256("dstack-kms-issued:" || app_id || k256_pub))
 *   disk_crypt_key = SHA256(PKCS8(P256(HKDF(kms_ca_key,
 *                      app_id || instance_id || "app-disk-crypt-key"))))   KMS derive_dh_secret
 *   env_crypt_key  = SHA256(PKCS8(P256(HKDF(kms_ca_key, app_id || "env-encrypt-key"))))
 *   ca_cert        = self-signed P-256 CA "O=Dstack, CN=Dstack KMS CA" by kms_ca_key
 *   key_provider   = {"None": {"key": PKCS#8 PEM of kms_ca_key}}, gateway_app_id "any"
 *
 * Every key is a pure function of (seed, app_id, instance_id); only the CA certificate's ECDSA
 * signature varies between runs. */
#ifndef DSTACK_AGENT_TEE_SIM_APPKEYS_H
#define DSTACK_AGENT_TEE_SIM_APPKEYS_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "crypto/k256.h"

/* The documented development seed: SHA-256("dstack-c simulator development seed v1"). Public
 * by design: keys made from it protect nothing. */
extern const uint8_t appkeys_dev_seed[DSTACK_KEY_LEN];

/* The KMS root secp256k1 public key of a seed, to compare signature chains against. */
dstack_err appkeys_dev_kms_pubkey(const uint8_t seed[static DSTACK_KEY_LEN],
                                  uint8_t out[static K256_PUBKEY_LEN]);

/* KMS derive_dh_secret (upstream dstack/ra-tls/src/kdf.rs): SHA-256 of the 138-byte PKCS#8 of the
 * P-256 key derived from root_scalar with the concatenated context. */
dstack_err appkeys_dh_secret(const uint8_t root_scalar[static DSTACK_KEY_LEN],
                             const void *const *ctx, const size_t *ctx_len, size_t n_ctx,
                             uint8_t out[static DSTACK_SHA256_LEN]);

/* Writes the keys file (mode 0600, replaced atomically). */
dstack_err appkeys_generate(const char *path, const uint8_t seed[static DSTACK_KEY_LEN],
                            const uint8_t app_id[static DSTACK_APP_ID_LEN],
                            const uint8_t instance_id[static DSTACK_APP_ID_LEN]);

#endif

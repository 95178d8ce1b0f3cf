/* Every public function of libdstack that needs no agent (include/dstack/crypto.h, attest.h,
 * ccel.h, quote.h, ratls.h, verify.h, helpers.h) fails with a code and a text naming the problem
 * (docs/sdk.md "Errors"): NULL arguments, wrong lengths, malformed input, bad signatures.
 * test_api_errors_client.c does the same for client.h. */
#include <stdint.h>

#include <dstack/attest.h>
#include <dstack/ccel.h>
#include <dstack/crypto.h>
#include <dstack/helpers.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>
#include <dstack/verify.h>

/* the legacy TLS-key wallet helpers are deprecated, and called here on purpose */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "error_rows.h"

/* A recoverable signature that recovers a key (test_k256.c, GetKey row "test-purpose"). */
#define SIG_OK                                                                                     \
    "f50c51735a97072f0c98125ed61fc84e2fdb36e95990b9e57337dadc0e2a9712227f04e07209faecb8891d59e"    \
    "c144a6c13e411dc90b3423f28071bd3fe11978d01"
#define KEY_OK "b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7"

static uint8_t sig_ok[65], sig_v4[65], zero65[65], key_ok[32], zero32[32], pub33[33], app_id[20];
static uint8_t out33[33], out33b[33], buf64[64], mr[DSTACK_MR_LEN];
static uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
static size_t len_out;

/* ---- crypto.h ---- */

BAD_CALL(key_public_null, dstack_key_public(NULL, "secp256k1", out33, &len_out))
BAD_CALL(key_public_rsa, dstack_key_public(key_ok, "rsa", out33, &len_out))
BAD_CALL(key_public_zero, dstack_key_public(zero32, "secp256k1", out33, &len_out))
BAD_CALL(chain_null, dstack_sig_chain_recover(NULL, pub33, 33, sig_ok, 65, sig_ok, 65, app_id, 20,
                                              out33, out33b))
BAD_CALL(chain_pub31, dstack_sig_chain_recover("p", pub33, 31, sig_ok, 65, sig_ok, 65, app_id, 20,
                                               out33, out33b))
BAD_CALL(chain_app64, dstack_sig_chain_recover("p", pub33, 33, sig_ok, 64, sig_ok, 65, app_id, 20,
                                               out33, out33b))
BAD_CALL(chain_kms66, dstack_sig_chain_recover("p", pub33, 33, sig_ok, 65, sig_ok, 66, app_id, 20,
                                               out33, out33b))
BAD_CALL(chain_id19, dstack_sig_chain_recover("p", pub33, 33, sig_ok, 65, sig_ok, 65, app_id, 19,
                                              out33, out33b))
BAD_CALL(chain_app_v4, dstack_sig_chain_recover("p", pub33, 33, sig_v4, 65, sig_ok, 65, app_id, 20,
                                                out33, out33b))
BAD_CALL(chain_kms_zero, dstack_sig_chain_recover("p", pub33, 33, sig_ok, 65, zero65, 65, app_id,
                                                  20, out33, out33b))
BAD_CALL(getkey_alg_null, dstack_get_key_chain_recover(key_ok, "p", NULL, sig_ok, 65, sig_ok, 65,
                                                       app_id, 20, out33, out33b))
BAD_CALL(getkey_zero_key, dstack_get_key_chain_recover(zero32, "p", "k256", sig_ok, 65, sig_ok, 65,
                                                       app_id, 20, out33, out33b))
BAD_CALL(getkey_chain0_64, dstack_get_key_chain_recover(key_ok, "p", "", sig_ok, 64, sig_ok, 65,
                                                        app_id, 20, out33, out33b))
BAD_CALL(sign_chain_null,
         dstack_sign_chain_recover(sig_ok, 65, pub33, 33, NULL, NULL, app_id, 20, out33, out33b))

static dstack_err sign_chain_other_sig(void)
{
    const uint8_t *chain[3] = {zero65, sig_ok, sig_ok};
    const size_t lens[3] = {65, 65, 65};
    return dstack_sign_chain_recover(sig_ok, 65, pub33, 33, chain, lens, app_id, 20, out33, out33b);
}

static dstack_err sign_chain_link_null(void)
{
    const uint8_t *chain[3] = {sig_ok, NULL, sig_ok};
    const size_t lens[3] = {65, 65, 65};
    return dstack_sign_chain_recover(sig_ok, 65, pub33, 33, chain, lens, app_id, 20, out33, out33b);
}

static const struct error_row crypto_rows[] = {
    {"dstack_key_public(NULL key)", key_public_null, DSTACK_EINVAL, "dstack_key_public: NULL"},
    {"dstack_key_public(\"rsa\")", key_public_rsa, DSTACK_EUNSUPPORTED, "algorithm \"rsa\""},
    {"dstack_key_public(zero key)", key_public_zero, DSTACK_EINVAL, "not a valid secp256k1"},
    {"dstack_sig_chain_recover(NULL purpose)", chain_null, DSTACK_EINVAL,
     "dstack_sig_chain_recover: NULL"},
    {"dstack_sig_chain_recover(31-byte key)", chain_pub31, DSTACK_EINVAL, "public key of 31 bytes"},
    {"dstack_sig_chain_recover(64-byte app sig)", chain_app64, DSTACK_EINVAL,
     "app signature of 64 bytes"},
    {"dstack_sig_chain_recover(66-byte KMS sig)", chain_kms66, DSTACK_EINVAL,
     "KMS signature of 66 bytes"},
    {"dstack_sig_chain_recover(19-byte app_id)", chain_id19, DSTACK_EINVAL, "app_id of 19 bytes"},
    {"dstack_sig_chain_recover(recovery id 4)", chain_app_v4, DSTACK_EVERIFY,
     "app signature recovers no public key"},
    {"dstack_sig_chain_recover(zero KMS sig)", chain_kms_zero, DSTACK_EVERIFY,
     "KMS signature recovers no public key"},
    {"dstack_get_key_chain_recover(NULL algorithm)", getkey_alg_null, DSTACK_EINVAL,
     "dstack_get_key_chain_recover: NULL"},
    {"dstack_get_key_chain_recover(zero key)", getkey_zero_key, DSTACK_EINVAL,
     "dstack_get_key_chain_recover: the key is not a valid secp256k1"},
    {"dstack_get_key_chain_recover(64-byte chain[0])", getkey_chain0_64, DSTACK_EINVAL,
     "dstack_get_key_chain_recover: app signature of 64 bytes"},
    {"dstack_sign_chain_recover(NULL chain)", sign_chain_null, DSTACK_EINVAL,
     "dstack_sign_chain_recover: NULL"},
    {"dstack_sign_chain_recover(chain[0] != signature)", sign_chain_other_sig, DSTACK_EVERIFY,
     "signature_chain[0] is not the signature"},
    {"dstack_sign_chain_recover(NULL chain[1])", sign_chain_link_null, DSTACK_EINVAL,
     "dstack_sign_chain_recover: NULL"},
};

/* ---- attest.h, ccel.h ---- */

static struct dstack_event_log log_ok;
static char *text_out;
static uint8_t *bytes_out;

BAD_CALL(push_null_log, dstack_event_log_push(NULL, 3, 1, NULL, "x", NULL, 0, DSTACK_EVENT_V1))
BAD_CALL(push_version3, dstack_event_log_push(&log_ok, 3, 1, NULL, "x", NULL, 0, 3))
BAD_CALL(push_runtime_v0, dstack_event_log_push_runtime(&log_ok, "x", NULL, 0, 0))
BAD_CALL(parse_null, dstack_event_log_parse(NULL, 0, &log_ok))
BAD_CALL(parse_bad_json, dstack_event_log_parse("[", 1, &log_ok))
BAD_CALL(parse_no_imr, dstack_event_log_parse("[{}]", 4, &log_ok))
BAD_CALL(format_null, dstack_event_log_format(&log_ok, DSTACK_EVLOG_JSON_COMPACT, NULL))
BAD_CALL(preimage_null, dstack_runtime_event_preimage(1, NULL, NULL, 0, &bytes_out, &len_out))
BAD_CALL(preimage_utf8, dstack_runtime_event_preimage(1, "\xff", NULL, 0, &bytes_out, &len_out))
BAD_CALL(preimage_v1_huge,
         dstack_runtime_event_preimage(1, "x", buf64, SIZE_MAX, &bytes_out, &len_out))
BAD_CALL(preimage_v2_huge,
         dstack_runtime_event_preimage(2, "x", buf64, SIZE_MAX, &bytes_out, &len_out))
BAD_CALL(digest_version0, dstack_runtime_event_digest(0, "x", NULL, 0, mr))
BAD_CALL(event_digest_null, dstack_event_digest(NULL, mr))
BAD_CALL(replay_null, dstack_replay_rtmrs(NULL, rtmr))
BAD_CALL(fill_null, dstack_event_log_fill_v2_preimages(NULL))
BAD_CALL(aggregated_null, dstack_mr_aggregated(NULL, rtmr, NULL, NULL, NULL, buf64))
BAD_CALL(system_null, dstack_mr_system(mr, rtmr, NULL, 0, NULL))
BAD_CALL(system_kp_null, dstack_mr_system(mr, rtmr, NULL, 5, buf64))
BAD_CALL(ccel_null, dstack_ccel_parse(NULL, 0, &log_ok))
BAD_CALL(ccel_short, dstack_ccel_parse(buf64, 10, &log_ok))
BAD_CALL(label_null, dstack_event_log_label_acpi(NULL))

static dstack_err event_digest_boot_without_digest(void)
{
    struct dstack_event e = {.imr = 0, .event_type = 1, .event = "boot"};
    return dstack_event_digest(&e, mr);
}

static dstack_err replay_imr4(void)
{
    struct dstack_event e = {.imr = 4, .event_type = 1, .has_digest = true, .event = "x"};
    struct dstack_event_log log = {.events = &e, .count = 1, .cap = 1};
    return dstack_replay_rtmrs(&log, rtmr);
}

static const struct error_row attest_rows[] = {
    {"dstack_event_log_push(NULL log)", push_null_log, DSTACK_EINVAL, "missing log or name"},
    {"dstack_event_log_push(version 3)", push_version3, DSTACK_EINVAL, "bad version"},
    {"dstack_event_log_push_runtime(version 0)", push_runtime_v0, DSTACK_EINVAL,
     "version 0 is not 1 or 2"},
    {"dstack_event_log_parse(NULL)", parse_null, DSTACK_EINVAL, "event_log: no text"},
    {"dstack_event_log_parse(\"[\")", parse_bad_json, DSTACK_EFORMAT, "invalid JSON"},
    {"dstack_event_log_parse([{}])", parse_no_imr, DSTACK_EFORMAT, "event_log[0].imr: missing"},
    {"dstack_event_log_format(NULL out)", format_null, DSTACK_EINVAL,
     "dstack_event_log_format: NULL"},
    {"dstack_runtime_event_preimage(NULL name)", preimage_null, DSTACK_EINVAL, "missing name"},
    {"dstack_runtime_event_preimage(name not UTF-8)", preimage_utf8, DSTACK_EINVAL, "not UTF-8"},
    {"dstack_runtime_event_preimage(V1, SIZE_MAX payload)", preimage_v1_huge, DSTACK_EINVAL,
     "payload overflows the pre-image length"},
    {"dstack_runtime_event_preimage(V2, SIZE_MAX payload)", preimage_v2_huge, DSTACK_EINVAL,
     "payload overflows the pre-image length"},
    {"dstack_runtime_event_digest(version 0)", digest_version0, DSTACK_EINVAL,
     "version 0 is not 1 or 2"},
    {"dstack_event_digest(NULL)", event_digest_null, DSTACK_EINVAL, "dstack_event_digest: NULL"},
    {"dstack_event_digest(boot event, no digest)", event_digest_boot_without_digest, DSTACK_EFORMAT,
     "has no digest"},
    {"dstack_replay_rtmrs(NULL)", replay_null, DSTACK_EINVAL, "dstack_replay_rtmrs: NULL"},
    {"dstack_replay_rtmrs(imr 4)", replay_imr4, DSTACK_EFORMAT, "imr 4 is not an RTMR"},
    {"dstack_event_log_fill_v2_preimages(NULL)", fill_null, DSTACK_EINVAL,
     "dstack_event_log_fill_v2_preimages: NULL"},
    {"dstack_mr_aggregated(NULL MRTD)", aggregated_null, DSTACK_EINVAL,
     "dstack_mr_aggregated: NULL"},
    {"dstack_mr_system(NULL out)", system_null, DSTACK_EINVAL, "dstack_mr_system: NULL"},
    {"dstack_mr_system(NULL key_provider_info, kp_len 5)", system_kp_null, DSTACK_EINVAL,
     "key_provider_info is NULL but kp_len is 5"},
    {"dstack_ccel_parse(NULL)", ccel_null, DSTACK_EINVAL, "no CCEL data"},
    {"dstack_ccel_parse(10 bytes)", ccel_short, DSTACK_EFORMAT, "CCEL header: truncated"},
    {"dstack_event_log_label_acpi(NULL)", label_null, DSTACK_EINVAL,
     "dstack_event_log_label_acpi: NULL"},
};

/* ---- quote.h, ratls.h ---- */

static struct dstack_quote quote_out;
static struct dstack_ratls_cert *cert_out;
static const uint8_t *ext_out;

BAD_CALL(quote_parse_null, dstack_quote_parse(NULL, 0, &quote_out))
BAD_CALL(quote_parse_short, dstack_quote_parse(buf64, 10, &quote_out))
BAD_CALL(quote_offset_short, dstack_quote_report_data_offset(buf64, 10, &len_out))
BAD_CALL(quote_verify_null, dstack_quote_verify(NULL, 0, "x", 1))
BAD_CALL(quote_verify_short, dstack_quote_verify(buf64, 10, "x", 1))
BAD_CALL(cert_parse_garbage, dstack_ratls_cert_parse("garbage", 7, &cert_out))
BAD_CALL(cert_parse_null_out, dstack_ratls_cert_parse("garbage", 7, NULL))
BAD_CALL(cert_att_null, dstack_ratls_cert_attestation(NULL, &ext_out, &len_out))
BAD_CALL(cert_info_null, dstack_ratls_cert_app_info(NULL, &ext_out, &len_out))
BAD_CALL(cert_usage_null, dstack_ratls_cert_usage(NULL, &ext_out, &len_out))
BAD_CALL(report_data_null, dstack_ratls_report_data(NULL, 5, buf64))
BAD_CALL(binding_null, dstack_ratls_check_binding(NULL, NULL, 0))
BAD_CALL(verify_chain_null, dstack_ratls_verify_chain(NULL, 0, "x", 1, NULL, 0, &cert_out))
BAD_CALL(verify_chain_garbage, dstack_ratls_verify_chain("x", 1, "y", 1, NULL, 0, &cert_out))

static const struct error_row quote_rows[] = {
    {"dstack_quote_parse(NULL)", quote_parse_null, DSTACK_EINVAL, "no quote"},
    {"dstack_quote_parse(10 bytes)", quote_parse_short, DSTACK_EFORMAT, "48-byte header"},
    {"dstack_quote_report_data_offset(10 bytes)", quote_offset_short, DSTACK_EFORMAT,
     "48-byte header"},
    {"dstack_quote_verify(NULL)", quote_verify_null, DSTACK_EINVAL, "no quote"},
    {"dstack_quote_verify(10 bytes)", quote_verify_short, DSTACK_EFORMAT, "malformed quote"},
    {"dstack_ratls_cert_parse(garbage)", cert_parse_garbage, DSTACK_EFORMAT, "not a certificate"},
    {"dstack_ratls_cert_parse(NULL out)", cert_parse_null_out, DSTACK_EINVAL,
     "dstack_ratls_cert_parse: NULL"},
    {"dstack_ratls_cert_attestation(NULL)", cert_att_null, DSTACK_EINVAL,
     "dstack_ratls_cert_attestation: NULL"},
    {"dstack_ratls_cert_app_info(NULL)", cert_info_null, DSTACK_EINVAL,
     "dstack_ratls_cert_app_info: NULL"},
    {"dstack_ratls_cert_usage(NULL)", cert_usage_null, DSTACK_EINVAL,
     "dstack_ratls_cert_usage: NULL"},
    {"dstack_ratls_report_data(NULL SPKI)", report_data_null, DSTACK_EINVAL,
     "dstack_ratls_report_data: NULL"},
    {"dstack_ratls_check_binding(NULL)", binding_null, DSTACK_EINVAL,
     "dstack_ratls_check_binding: NULL"},
    {"dstack_ratls_verify_chain(NULL chain)", verify_chain_null, DSTACK_EINVAL,
     "dstack_ratls_verify_chain: no chain"},
    {"dstack_ratls_verify_chain(no PEM)", verify_chain_garbage, DSTACK_EFORMAT,
     "no certificate in the chain"},
};

/* ---- verify.h ---- */

static struct dstack_collateral *col_out;
static const struct dstack_collateral col_empty;
static struct dstack_dcap_report dcap_out;
static struct dstack_attestation_result result_out;

BAD_CALL(col_from_array, dstack_collateral_from_json("[]", 2, &col_out))
BAD_CALL(col_from_empty, dstack_collateral_from_json("{}", 2, &col_out))
BAD_CALL(col_to_null, dstack_collateral_to_json(NULL, &text_out))
BAD_CALL(col_to_empty, dstack_collateral_to_json(&col_empty, &text_out))
BAD_CALL(dcap_null, dstack_dcap_verify(NULL, 0, &col_empty, 0, NULL, &dcap_out))
BAD_CALL(dcap_short, dstack_dcap_verify(buf64, 10, &col_empty, 0, NULL, &dcap_out))
BAD_CALL(dcap_json_null, dstack_dcap_report_to_json(NULL, &text_out))
BAD_CALL(cert_der_null, dstack_cert_to_der(NULL, 0, &bytes_out, &len_out))
BAD_CALL(cert_der_garbage, dstack_cert_to_der("garbage", 7, &bytes_out, &len_out))
BAD_CALL(verify_att_null, dstack_verify_attestation(NULL, &col_empty, 0, NULL, &result_out))
BAD_CALL(result_json_null, dstack_attestation_result_to_json(NULL, &text_out))

static const struct error_row verify_rows[] = {
    {"dstack_collateral_from_json([])", col_from_array, DSTACK_EFORMAT, "not a JSON object"},
    {"dstack_collateral_from_json({})", col_from_empty, DSTACK_EFORMAT,
     "\"pck_crl_issuer_chain\" is missing"},
    {"dstack_collateral_to_json(NULL)", col_to_null, DSTACK_EINVAL,
     "dstack_collateral_to_json: no collateral"},
    {"dstack_collateral_to_json(no texts)", col_to_empty, DSTACK_EINVAL,
     "dstack_collateral_to_json: pck_crl_issuer_chain is missing"},
    {"dstack_dcap_verify(NULL quote)", dcap_null, DSTACK_EINVAL, "dstack_dcap_verify: no quote"},
    {"dstack_dcap_verify(10 bytes)", dcap_short, DSTACK_EFORMAT, "quote shorter than its header"},
    {"dstack_dcap_report_to_json(NULL)", dcap_json_null, DSTACK_EINVAL,
     "dstack_dcap_report_to_json: no report"},
    {"dstack_cert_to_der(NULL)", cert_der_null, DSTACK_EINVAL, "dstack_cert_to_der: no text"},
    {"dstack_cert_to_der(garbage)", cert_der_garbage, DSTACK_EFORMAT, "not a certificate"},
    {"dstack_verify_attestation(NULL input)", verify_att_null, DSTACK_EINVAL,
     "dstack_verify_attestation: no input"},
    {"dstack_attestation_result_to_json(NULL)", result_json_null, DSTACK_EINVAL,
     "dstack_attestation_result_to_json: no result"},
};

/* ---- helpers.h ---- */

static char hash_out[DSTACK_COMPOSE_HASH_HEX_LEN + 1];
static char signer_out[DSTACK_SIGNER_HEX_LEN + 1];
static char eth_out[DSTACK_ETH_ADDRESS_LEN + 1];
static char b58_out[4];
static struct dstack_solana_keypair sol_out;
static const struct dstack_env_var env_null_key[] = {{NULL, "v"}};
static const struct dstack_get_tls_key_response tls_not_pem = {.key = "not a PEM key"};

BAD_CALL(canon_array, dstack_compose_canonical_json("[1]", 3, false, &text_out))
BAD_CALL(hash_null_out, dstack_compose_hash("{}", 2, false, NULL))
BAD_CALL(hash_bad_json, dstack_compose_hash("{", 1, false, hash_out))
BAD_CALL(env_bad_hex, dstack_encrypt_env_vars(NULL, 0, "zz", &text_out))
BAD_CALL(env_short_key, dstack_encrypt_env_vars(NULL, 0, "0011", &text_out))
BAD_CALL(env_det_null,
         dstack_encrypt_env_vars_det(NULL, 0, NULL, zero32, buf64, &bytes_out, &len_out))
BAD_CALL(env_det_null_key,
         dstack_encrypt_env_vars_det(env_null_key, 1, key_ok, key_ok, buf64, &bytes_out, &len_out))
BAD_CALL(decrypt_short, dstack_decrypt_env_vars(buf64, 10, key_ok, &text_out, &len_out))
BAD_CALL(decrypt_low_order, dstack_decrypt_env_vars(buf64, 64, key_ok, &text_out, &len_out))
BAD_CALL(env_pub_sig64,
         dstack_verify_env_encrypt_public_key(pub33, 33, sig_ok, 64, "00", 100, 0, 100, signer_out))
BAD_CALL(env_pub_future, dstack_verify_env_encrypt_public_key(pub33, 33, sig_ok, 65, "00", 100000,
                                                              0, 100, signer_out))
BAD_CALL(env_pub_legacy_id,
         dstack_verify_env_encrypt_public_key_legacy(pub33, 33, sig_ok, 65, "not hex", signer_out))
BAD_CALL(eth_zero_key, dstack_eth_address(zero32, eth_out))
BAD_CALL(solana_null, dstack_solana_keypair(NULL, &sol_out))
BAD_CALL(wallet_seed_not_pem, dstack_tls_key_wallet_seed(&tls_not_pem, true, key_ok))
BAD_CALL(eth_tls_null_out, dstack_eth_address_from_tls_key(&tls_not_pem, NULL, NULL, NULL))
BAD_CALL(eth_tls_secure_null, dstack_eth_address_from_tls_key_secure(NULL, NULL, NULL, eth_out))
BAD_CALL(sol_tls_null, dstack_solana_keypair_from_tls_key(NULL, NULL, NULL, &sol_out))
BAD_CALL(sol_tls_secure_not_pem,
         dstack_solana_keypair_from_tls_key_secure(&tls_not_pem, NULL, NULL, &sol_out))
BAD_CALL(b58_small, dstack_base58_encode(key_ok, 32, b58_out, sizeof b58_out))
BAD_CALL(b58_bad_char, dstack_base58_decode("10", 2, buf64, sizeof buf64, &len_out))

static const struct error_row helper_rows[] = {
    {"dstack_compose_canonical_json([1])", canon_array, DSTACK_EFORMAT, "must be a JSON object"},
    {"dstack_compose_hash(NULL out)", hash_null_out, DSTACK_EINVAL, "dstack_compose_hash: NULL"},
    {"dstack_compose_hash(\"{\")", hash_bad_json, DSTACK_EFORMAT, "not valid JSON"},
    {"dstack_encrypt_env_vars(\"zz\")", env_bad_hex, DSTACK_EINVAL, "invalid hex"},
    {"dstack_encrypt_env_vars(2-byte key)", env_short_key, DSTACK_EINVAL, "expected 32 bytes"},
    {"dstack_encrypt_env_vars_det(NULL key)", env_det_null, DSTACK_EINVAL, "NULL argument"},
    {"dstack_encrypt_env_vars_det(var without key)", env_det_null_key, DSTACK_EINVAL,
     "env var 0 has a NULL key"},
    {"dstack_decrypt_env_vars(10 bytes)", decrypt_short, DSTACK_EFORMAT, "shorter than"},
    {"dstack_decrypt_env_vars(all-zero ephemeral key)", decrypt_low_order, DSTACK_ECRYPTO,
     "invalid X25519 shared secret"},
    {"dstack_verify_env_encrypt_public_key(64-byte sig)", env_pub_sig64, DSTACK_EINVAL,
     "signature must be 65 bytes"},
    {"dstack_verify_env_encrypt_public_key(future timestamp)", env_pub_future, DSTACK_EVERIFY,
     "too far in the future"},
    {"dstack_verify_env_encrypt_public_key_legacy(app_id not hex)", env_pub_legacy_id,
     DSTACK_EINVAL, "app_id is not valid hex"},
    {"dstack_eth_address(zero key)", eth_zero_key, DSTACK_EINVAL, "not a valid secp256k1"},
    {"dstack_solana_keypair(NULL seed)", solana_null, DSTACK_EINVAL, "dstack_solana_keypair: NULL"},
    {"dstack_tls_key_wallet_seed(not PEM)", wallet_seed_not_pem, DSTACK_EFORMAT,
     "not a PKCS#8 PEM"},
    {"dstack_eth_address_from_tls_key(NULL out)", eth_tls_null_out, DSTACK_EINVAL, "NULL output"},
    {"dstack_eth_address_from_tls_key_secure(NULL key)", eth_tls_secure_null, DSTACK_EINVAL,
     "dstack_tls_key_wallet_seed: NULL"},
    {"dstack_solana_keypair_from_tls_key(NULL key)", sol_tls_null, DSTACK_EINVAL,
     "dstack_tls_key_wallet_seed: NULL"},
    {"dstack_solana_keypair_from_tls_key_secure(not PEM)", sol_tls_secure_not_pem, DSTACK_EFORMAT,
     "not a PKCS#8 PEM"},
    {"dstack_base58_encode(4-byte buffer)", b58_small, DSTACK_EINVAL, "buffer has 4"},
    {"dstack_base58_decode(\"10\")", b58_bad_char, DSTACK_EFORMAT,
     "invalid base58 character at offset 1"},
};

#define RUN(rows) error_rows_run(rows, sizeof rows / sizeof rows[0])

int main(void)
{
    check_unhex(SIG_OK, sig_ok, sizeof sig_ok);
    memcpy(sig_v4, sig_ok, sizeof sig_v4);
    sig_v4[64] = 4; /* recovery id out of range */
    check_unhex(KEY_OK, key_ok, sizeof key_ok);
    CHECK(dstack_key_public(key_ok, "secp256k1", pub33, &len_out) == DSTACK_OK);
    dstack_event_log_init(&log_ok);

    RUN(crypto_rows);
    RUN(attest_rows);
    RUN(quote_rows);
    RUN(verify_rows);
    RUN(helper_rows);

    dstack_event_log_free(&log_ok);
    return check_exit();
}

/* DCAP quote verification against Intel collateral (docs/verify.md).
 *
 * dstack_dcap_verify checks an SGX (v3) or TDX (v4, v5) quote the way dcap-qvl's verify_impl
 * does (github Phala-Network/dcap-qvl src/verify.rs): the PCK chain, the TCB info and QE
 * identity signing chains up to a pinned root (Intel SGX Root CA unless the caller gives
 * another), both CRLs, the TCB info and QE identity signatures and validity windows, FMSPC,
 * the QE report (signature, binding to the attestation key, identity policy), the quote
 * signature, TCB level selection, the status merge and the TD attribute policy. It returns the
 * merged TCB status with its advisory IDs and the report body, or a failure with a reason.
 *
 * Collateral is dcap-qvl's JSON format (QuoteCollateralV3): PEM chains as strings, CRLs and
 * signatures as hex, TCB info and QE identity as the exact JSON text Intel signed. */
#ifndef DSTACK_VERIFY_H
#define DSTACK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>
#include <dstack/quote.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSTACK_TCB_STATUS_MAX 40 /* longest name: ConfigurationAndSWHardeningNeeded */
#define DSTACK_ADVISORY_ID_MAX 32
#define DSTACK_ADVISORIES_MAX 128
#define DSTACK_SGX_REPORT_LEN 384
#define DSTACK_FMSPC_LEN 6
#define DSTACK_PPID_MAX 16

/* A collateral bundle. Every member is owned by the struct (dstack_collateral_free). */
struct dstack_collateral {
    char *pck_crl_issuer_chain; /* PEM */
    uint8_t *root_ca_crl;       /* DER */
    size_t root_ca_crl_len;
    uint8_t *pck_crl; /* DER */
    size_t pck_crl_len;
    char *tcb_info_issuer_chain; /* PEM */
    char *tcb_info;              /* the signed JSON text, byte for byte */
    uint8_t *tcb_info_signature; /* raw r || s */
    size_t tcb_info_signature_len;
    char *qe_identity_issuer_chain;
    char *qe_identity;
    uint8_t *qe_identity_signature;
    size_t qe_identity_signature_len;
    char *pck_certificate_chain; /* optional (NULL): the PCK chain from the collateral */
};

/* Parses dcap-qvl's JSON collateral. DSTACK_EFORMAT on a missing or mistyped field, bad hex or
 * bad JSON, with the reason in dstack_last_error(). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_collateral_from_json(const char *json, size_t len,
                                                                    struct dstack_collateral **out);
/* The bundle as dcap-qvl JSON (malloc'd, NUL-terminated). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_collateral_to_json(const struct dstack_collateral *c,
                                                                  char **out);
DSTACK_API void dstack_collateral_free(struct dstack_collateral *c); /* NULL ok */

/* The SGX enclave report body (the ISV enclave of an SGX quote). */
struct dstack_sgx_report {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t attributes[16];
    uint8_t mr_enclave[32];
    uint8_t mr_signer[32];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
    uint8_t report_data[DSTACK_REPORT_DATA_LEN];
};

enum dstack_report_kind { DSTACK_REPORT_SGX, DSTACK_REPORT_TD10, DSTACK_REPORT_TD15 };

/* A verified quote. status is one of UpToDate, SWHardeningNeeded, ConfigurationNeeded,
 * ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded (Revoked fails). */
struct dstack_dcap_report {
    char status[DSTACK_TCB_STATUS_MAX];
    size_t advisory_count;
    char advisory_ids[DSTACK_ADVISORIES_MAX][DSTACK_ADVISORY_ID_MAX];
    char platform_status[DSTACK_TCB_STATUS_MAX];
    char qe_status[DSTACK_TCB_STATUS_MAX];
    uint16_t version;
    uint32_t tee_type; /* 0 SGX, 0x81 TDX */
    enum dstack_report_kind kind;
    struct dstack_td_report td;   /* kind TD10 / TD15 */
    struct dstack_sgx_report sgx; /* kind SGX */
    uint8_t fmspc[DSTACK_FMSPC_LEN];
    uint8_t ppid[DSTACK_PPID_MAX];
    size_t ppid_len;
};

/* Optional settings; NULL means Intel's pinned root and no debug/service TD allowances. */
struct dstack_dcap_options {
    const uint8_t *root_ca_der; /* trust anchor instead of the Intel SGX Root CA */
    size_t root_ca_der_len;
};

/* Verifies quote against collateral at now (UNIX seconds). DSTACK_OK fills *out.
 * DSTACK_EFORMAT (malformed quote or collateral) or DSTACK_EVERIFY (a check failed, including a
 * Revoked status), with a one-line reason in dstack_last_error() (dcap-qvl's wording where it
 * has one: "TCBInfo expired", "ISV enclave report signature is invalid"). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_dcap_verify(const uint8_t *quote, size_t len,
                                                           const struct dstack_collateral *col,
                                                           uint64_t now,
                                                           const struct dstack_dcap_options *opts,
                                                           struct dstack_dcap_report *out);

/* The report as JSON text: status, advisory_ids, platform/qe status, fmspc, ppid and the
 * report fields in hex (malloc'd). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_dcap_report_to_json(const struct dstack_dcap_report *r, char **out);

/* A certificate given as PEM (the first block) or DER, as DER (malloc'd). DSTACK_EFORMAT when
 * it is neither. For trust anchors read from files (the simulator's root). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_cert_to_der(const char *text, size_t len,
                                                           uint8_t **der, size_t *der_len);

/* ---- the dstack layer (docs/verify.md, "dstack layer"): upstream's /verify ---------------- */

/* Either a versioned attestation (self-contained; then the other fields are ignored) or a quote
 * with its event log (the JSON text GetQuote returns) and vm_config (JSON text, may be NULL). */
struct dstack_attestation_input {
    const uint8_t *quote;
    size_t quote_len;
    const char *event_log;
    size_t event_log_len;
    const char *vm_config;
    size_t vm_config_len;
    const uint8_t *attestation; /* V0 SCALE VersionedAttestation */
    size_t attestation_len;
};

#define DSTACK_IDENTITY_FIELD_MAX 64
#define DSTACK_KEY_PROVIDER_MAX 1024

/* The app identity as upstream's decode_app_info computes it (dstack-attest attestation.rs). */
struct dstack_app_identity {
    uint8_t app_id[DSTACK_IDENTITY_FIELD_MAX];
    size_t app_id_len;
    uint8_t compose_hash[DSTACK_IDENTITY_FIELD_MAX];
    size_t compose_hash_len;
    uint8_t instance_id[DSTACK_IDENTITY_FIELD_MAX];
    size_t instance_id_len;
    uint8_t device_id[DSTACK_SHA256_LEN]; /* SHA-256 of the PCK certificate's PPID */
    uint8_t os_image_hash[DSTACK_IDENTITY_FIELD_MAX];
    size_t os_image_hash_len;
    uint8_t key_provider_info[DSTACK_KEY_PROVIDER_MAX];
    size_t key_provider_info_len;
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN]; /* replayed from the event log (= the quote's when valid) */
    uint8_t mr_system[DSTACK_SHA256_LEN];
    uint8_t mr_aggregated[DSTACK_SHA256_LEN];
};

struct dstack_attestation_result {
    bool is_valid; /* quote, OS image (lite mode) and event log verified; legacy mode leaves
                    * the OS image unchecked (os_image_note says so) */
    char reason[320];
    bool quote_verified;
    bool event_log_verified;
    bool os_image_hash_verified; /* lite mode: MRTD and RTMR0-2 recomputed; see os_image_note */
    char os_image_note[200];
    char tee_variant[24];           /* "dstack-tdx" */
    struct dstack_dcap_report dcap; /* valid when quote_verified: status, advisories, report */
    bool has_app_info;
    struct dstack_app_identity app;
};

/* Verifies in (quote under col at now, with opts as dstack_dcap_verify), replays its event log
 * and reads the app identity. The verdict is in *out (is_valid, reason, details); the return
 * value is DSTACK_OK whenever a verdict was reached, valid or not (DSTACK_EINVAL, ENOMEM). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_verify_attestation(
    const struct dstack_attestation_input *in, const struct dstack_collateral *col, uint64_t now,
    const struct dstack_dcap_options *opts, struct dstack_attestation_result *out);

/* The verdict in upstream's /verify answer shape: {"is_valid", "details", "reason"}. */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_attestation_result_to_json(const struct dstack_attestation_result *r, char **out);

/* The Intel SGX Root CA certificate (DER) pinned in the library. */
DSTACK_API const uint8_t *dstack_intel_root_ca_der(size_t *len);

#ifdef __cplusplus
}
#endif
#endif

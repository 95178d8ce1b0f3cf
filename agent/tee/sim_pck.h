/* The simulator's TDX quoting stack (in neither the production agent nor libdstack, which
 * only verifies quotes: include/dstack/quote.h): a PCK chain (root -> PCK platform CA -> PCK leaf),
 * a quoting enclave report signed by the PCK key, and v4 quotes signed by an attestation key that
 * the QE report binds — the structure DCAP verifiers check (docs/attestation.md).
 *
 * Every key is derived from a 32-byte seed exactly as upstream's mock PKI derives its P-256 keys
 * (dstack/crates/mock-attestation/src/lib.rs:L52-65): the scalar is the first valid
 *   SHA-256("dstack-mock-p256-v1" ‖ seed ‖ label ‖ be32(counter)),  counter = 0, 1, ...
 * with labels "tdx-root", "tdx-pck-ca", "tdx-pck" (upstream's), and "tdx-attestation-key" (ours:
 * upstream makes a random attestation key per quote). So the same seed gives the same root key
 * as `dstack-mock-attestation`. The certificates are built with OpenSSL's X509 API; ECDSA
 * signatures are randomised, so certificate bytes change between runs while every key stays
 * the same: verify against the root's key (quote_verify does; `openssl verify -CAfile` does).
 *
 * None of this is secret in any real sense: it is development material, never a trust root. */
#ifndef DSTACK_AGENT_TEE_SIM_PCK_H
#define DSTACK_AGENT_TEE_SIM_PCK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include <dstack/common.h>
#include <dstack/quote.h>
#include <dstack/verify.h>

#define QUOTE_SEED_LEN 32

/* Fixed certificate validity, as upstream's mock PKI (tdx.rs MOCK_PKI_NOT_BEFORE/AFTER). */
#define QUOTE_PKI_NOT_BEFORE 1577836800LL /* 2020-01-01T00:00:00Z */
#define QUOTE_PKI_NOT_AFTER 4102444800LL  /* 2100-01-01T00:00:00Z */

struct quote_pki; /* opaque: keys and certificates */

/* Derives the keys and issues the chain. Free with quote_pki_free. */
dstack_err quote_pki_new(const uint8_t seed[QUOTE_SEED_LEN], struct quote_pki **out);
void quote_pki_free(struct quote_pki *pki); /* NULL ok */

/* A 32-byte seed from the simulator's seed string: 64 hex digits are taken as the bytes
 * (upstream's mock_attestation_seed form); any other text is hashed with SHA-256. */
dstack_err quote_seed_from_string(const char *text, uint8_t seed[QUOTE_SEED_LEN]);

/* PEM texts owned by pki (NUL-terminated, LF line ends). */
const char *quote_pki_root_pem(const struct quote_pki *pki);
const char *quote_pki_chain_pem(const struct quote_pki *pki); /* leaf ‖ intermediate ‖ root */

/* Writes the root certificate PEM to path (mode 0644) through file_write_new (util/file.h: a
 * fresh exclusive temporary beside it, renamed over it). DSTACK_EIO with the error text naming
 * the file when it cannot be written. */
dstack_err quote_pki_write_root_pem(const struct quote_pki *pki, const char *path);

/* The TD report fields a simulator chooses. quote_td_defaults fills what upstream's mock
 * generator uses (tdx.rs attest_with_measurements, docs/attestation.md): TDATTRIBUTES
 * 00 00 00 10 00 00 00 00 (SEPT_VE_DISABLE, no DEBUG), everything else zero. */
struct quote_td {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[DSTACK_MR_LEN];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[DSTACK_MR_LEN];
    uint8_t mr_config_id[DSTACK_MR_LEN];
    uint8_t mr_owner[DSTACK_MR_LEN];
    uint8_t mr_owner_config[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN];
};
void quote_td_defaults(struct quote_td *td);

/* Builds and signs a v4 quote over td and report_data: header (v4, key type 2, TEE 0x81,
 * qe_svn 1, pce_svn 0, Intel QE vendor id), TD report, signature data with certification
 * type 6 (QE report with mr_signer 0x44*32, isv_prod_id 1, isv_svn 1, report_data[0..32] =
 * SHA-256(attest_key ‖ qe_auth)), QE auth data (32 zero bytes) and type 5 (the PEM chain).
 * *out is malloc'd. */
dstack_err quote_build_v4(const struct quote_pki *pki, const struct quote_td *td,
                          const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                          size_t *out_len);

/* ---- collateral for the simulated PKI (sim_collateral.c) ---------------------------------
 * A TCB signing key is derived from the same seed with upstream's label "tdx-tcb"
 * (mock-attestation lib.rs), its certificate issued by the root; both CRLs are empty. */

/* The pieces sim_collateral.c signs with, borrowed from pki. */
struct quote_pki_parts {
    EVP_PKEY *root_key, *pck_ca_key, *tcb_key;
    X509 *root, *pck_ca;
    const char *tcb_chain_pem; /* TCB signing certificate || root */
    const char *ca_chain_pem;  /* PCK platform CA || root */
};
void quote_pki_parts(const struct quote_pki *pki, struct quote_pki_parts *out);

/* ECDSA-P256-SHA256 over msg as raw r || s. */
dstack_err quote_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                          uint8_t out[DSTACK_QUOTE_SIG_LEN]);

/* TCB info, QE identity and CRLs matching the quotes pki signs (dcap-qvl's collateral form);
 * they verify with dstack_dcap_verify under the simulator's root. */
dstack_err quote_pki_collateral(const struct quote_pki *pki, struct dstack_collateral **out);

#endif

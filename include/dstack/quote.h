/* TDX DCAP quotes, versions 4 and 5: layout and parsing (docs/attestation.md).
 *
 * A parsed quote borrows the caller's buffer: every pointer in struct dstack_quote points into
 * the bytes given to dstack_quote_parse and stays valid as long as they do. The parser checks
 * every length against the buffer (quotes come from outside: files, peers, RPC requests) and
 * ignores trailing bytes after the signature data (real QGS output carries ~70 zero bytes). */
#ifndef DSTACK_QUOTE_H
#define DSTACK_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSTACK_QUOTE_HEADER_LEN 48
#define DSTACK_QUOTE_V5_DESC_LEN 6 /* u16 body_type, u32 body_size */
#define DSTACK_TD_REPORT10_LEN 584 /* TDREPORT10 body */
#define DSTACK_TD_REPORT15_LEN 648 /* TD10 + TEE_TCB_SVN2[16] + MRSERVICETD[48] */
#define DSTACK_QE_REPORT_LEN 384   /* SGX REPORTBODY of the quoting enclave */
#define DSTACK_QUOTE_SIG_LEN 64    /* ECDSA P-256 r||s */
#define DSTACK_QUOTE_PUBKEY_LEN 64 /* P-256 x||y, no 0x04 */
#define DSTACK_QUOTE_TEE_TDX 0x81u
#define DSTACK_QUOTE_AK_ECDSA_P256 2u
#define DSTACK_QUOTE_CERT_QE_REPORT 6u /* certification data: QE report + nested data */
/* certification data: PEM chain leaf||intermediate||root */
#define DSTACK_QUOTE_CERT_PCK_CHAIN 5u

/* Offsets inside the QE report (SGX REPORTBODY, docs/attestation.md). */
#define DSTACK_QE_OFF_MR_SIGNER 128
#define DSTACK_QE_OFF_ISV_PROD_ID 256
#define DSTACK_QE_OFF_ISV_SVN 258
#define DSTACK_QE_OFF_REPORT_DATA 320

/* v5 body types (docs/attestation.md). */
#define DSTACK_QUOTE_BODY_SGX 1u
#define DSTACK_QUOTE_BODY_TD10 2u
#define DSTACK_QUOTE_BODY_TD15 3u

/* Offsets inside a TD report body (add dstack_quote.body_offset for absolute offsets). */
#define DSTACK_TD_OFF_TEE_TCB_SVN 0
#define DSTACK_TD_OFF_MR_SEAM 16
#define DSTACK_TD_OFF_MR_SIGNER_SEAM 64
#define DSTACK_TD_OFF_SEAM_ATTRIBUTES 112
#define DSTACK_TD_OFF_TD_ATTRIBUTES 120
#define DSTACK_TD_OFF_XFAM 128
#define DSTACK_TD_OFF_MR_TD 136
#define DSTACK_TD_OFF_MR_CONFIG_ID 184
#define DSTACK_TD_OFF_MR_OWNER 232
#define DSTACK_TD_OFF_MR_OWNER_CONFIG 280
#define DSTACK_TD_OFF_RTMR0 328
#define DSTACK_TD_OFF_REPORT_DATA 520

struct dstack_quote_header {
    uint16_t version;      /* 4 or 5 */
    uint16_t att_key_type; /* 2 = ECDSA-256-with-P-256 */
    uint32_t tee_type;     /* 0x81 = TDX */
    uint16_t qe_svn;
    uint16_t pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
};

/* The TD report body, copied out of the quote (TD10 fields, plus TD15 extras when td15). */
struct dstack_td_report {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[DSTACK_MR_LEN];
    uint8_t mr_signer_seam[DSTACK_MR_LEN];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[DSTACK_MR_LEN];
    uint8_t mr_config_id[DSTACK_MR_LEN];
    uint8_t mr_owner[DSTACK_MR_LEN];
    uint8_t mr_owner_config[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN];
    uint8_t report_data[DSTACK_REPORT_DATA_LEN];
    bool td15;
    uint8_t tee_tcb_svn2[16];
    uint8_t mr_service_td[DSTACK_MR_LEN];
};

struct dstack_quote {
    struct dstack_quote_header header;
    uint16_t body_type; /* v5: from the descriptor; v4: DSTACK_QUOTE_BODY_TD10 */
    size_t body_offset; /* 48 (v4) or 54 (v5) */
    size_t body_len;    /* 584 or 648 */
    size_t signed_len;  /* bytes covered by the quote signature: body_offset + body_len */
    struct dstack_td_report report;

    /* Signature data (borrowed pointers into the parsed buffer). */
    uint32_t sig_data_len;
    const uint8_t *signature;     /* DSTACK_QUOTE_SIG_LEN, over [0, signed_len) */
    const uint8_t *attest_key;    /* DSTACK_QUOTE_PUBKEY_LEN */
    const uint8_t *qe_report;     /* DSTACK_QE_REPORT_LEN, inside certification data type 6 */
    const uint8_t *qe_report_sig; /* DSTACK_QUOTE_SIG_LEN, by the PCK leaf key */
    const uint8_t *qe_auth;       /* qe_auth_len bytes */
    size_t qe_auth_len;
    uint16_t pck_cert_type;   /* inner certification data type (5 = PEM chain) */
    const uint8_t *pck_chain; /* pck_chain_len bytes */
    size_t pck_chain_len;
    size_t end; /* offset just after the signature data; bytes after it ignored */
};

/* Parses a v4 or v5 TDX quote. DSTACK_EFORMAT on any structural error (short buffer, a length
 * that runs past the end, wrong version/key type/TEE type, unknown body type, outer
 * certification data not of type 6). DSTACK_EINVAL on NULL arguments. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_quote_parse(const uint8_t *quote, size_t len,
                                                           struct dstack_quote *out);

/* Offset of REPORTDATA for this quote's version: 568 (v4) or 574 (v5). Checks only the header,
 * the v5 body descriptor and that the whole TD report body lies inside the buffer; the
 * signature data is not looked at (the simulator's fixture mode patches quotes this way). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_quote_report_data_offset(const uint8_t *quote,
                                                                        size_t len, size_t *offset);

/* Verifies a quote's signature structure against a trusted root certificate (PEM):
 *   1. the quote parses (v4 or v5, ECDSA-P256, TDX) and its signature data is exactly
 *      sig[64] ‖ key[64] ‖ cert type 6 { QE report, QE sig, auth data, cert type 5 { chain } };
 *   2. the quote signature (ECDSA-P256-SHA256 over [0, signed_len)) verifies with the embedded
 *      attestation key;
 *   3. the QE report signature verifies with the PCK leaf certificate's key;
 *   4. QE report_data[0..32] == SHA-256(attestation key ‖ QE auth data) and [32..64] is zero;
 *   5. the PEM chain (leaf first, at least 2 certificates, canonical PEM so no byte of it can be
 *      altered unnoticed) verifies up to root_pem with OpenSSL's X509 path validation
 *      (signatures, validity at the current time, CA constraints); the chain's own last
 *      certificate must be self-signed and carry the trusted root's key.
 * Not checked (needs Intel collateral from a PCCS): TCB level / FMSPC, CRLs, QE identity,
 * TD attributes policy. DSTACK_EFORMAT for malformed input, DSTACK_EVERIFY when a check fails,
 * DSTACK_EINVAL for a missing quote or a root that does not parse; dstack_last_error() names the
 * failed check in one line. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_quote_verify(const uint8_t *quote, size_t len,
                                                            const char *root_pem,
                                                            size_t root_pem_len);

#ifdef __cplusplus
}
#endif
#endif

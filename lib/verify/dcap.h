/* Internal pieces of DCAP verification (lib/verify): the quote layout for SGX and TDX, the
 * signed collateral documents, the PKI checks and the TCB status rules. A function that returns
 * a dstack_err other than DSTACK_OK has set the thread's error text (util/error.h) with
 * dcap-qvl's wording where it has one; callers add context with err_wrap. */
#ifndef DSTACK_VERIFY_DCAP_H
#define DSTACK_VERIFY_DCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <dstack/verify.h>

#include "util/error.h"

#define DCAP_TEE_SGX 0x00u
#define DCAP_TEE_TDX 0x81u
#define DCAP_SVN_COUNT 16
#define DCAP_QE_AUTH_LEN 32 /* dcap-qvl constants.rs AUTHENTICATION_DATA_LEN */

/* A DCAP quote of any supported version; pointers borrow the caller's buffer. */
struct dcap_quote {
    uint16_t version;
    uint16_t ak_type;
    uint32_t tee_type;
    uint8_t qe_vendor_id[16];
    enum dstack_report_kind kind;
    const uint8_t *body; /* the ISV enclave report or TD report */
    size_t signed_len;   /* [0, signed_len) is covered by the quote signature */
    const uint8_t *signature;
    const uint8_t *attest_key;
    const uint8_t *qe_report; /* DSTACK_QE_REPORT_LEN */
    const uint8_t *qe_report_sig;
    const uint8_t *qe_auth;
    size_t qe_auth_len;
    uint16_t cert_type; /* inner certification data: 5 = PEM chain */
    const uint8_t *cert_data;
    size_t cert_len;
};

/* Parses the layout as dcap-qvl's Quote::decode does (v3 SGX; v4 SGX or TDX; v5 with a body
 * descriptor); trailing bytes after the signature data are ignored. */
dstack_err dcap_quote_parse(const uint8_t *q, size_t len, struct dcap_quote *out);
void dcap_sgx_report_decode(const uint8_t b[DSTACK_SGX_REPORT_LEN], struct dstack_sgx_report *r);

/* A TCB status with its advisories. */
struct tcb_status {
    char status[DSTACK_TCB_STATUS_MAX];
    size_t n;
    char ids[DSTACK_ADVISORIES_MAX][DSTACK_ADVISORY_ID_MAX];
};
int tcb_status_severity(const char *status); /* 100 for an unknown name */
bool tcb_status_is_valid(const char *status);
void tcb_status_merge(struct tcb_status *into, const struct tcb_status *other);

struct tcb_level {
    uint8_t sgx[DCAP_SVN_COUNT];
    size_t sgx_n;
    uint8_t tdx[DCAP_SVN_COUNT];
    size_t tdx_n;
    uint16_t pcesvn;
    struct tcb_status st;
};

struct qe_level {
    uint16_t isvsvn;
    struct tcb_status st;
};

struct tdx_module_identity {
    char id[16];
    uint8_t mrsigner[DSTACK_MR_LEN];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    struct qe_level *levels;
    size_t n_levels;
};

struct tcb_info {
    char id[8]; /* "SGX" or "TDX" */
    int version;
    int64_t issue_date, next_update;
    uint8_t fmspc[DSTACK_FMSPC_LEN];
    bool has_pce_id;
    uint8_t pce_id[2];
    struct tcb_level *levels;
    size_t n_levels;
    bool has_module;
    struct tdx_module_identity module; /* tdxModule (no levels) */
    struct tdx_module_identity *identities;
    size_t n_identities;
};

struct qe_identity {
    char id[8]; /* "QE" or "TD_QE" */
    int version;
    int64_t issue_date, next_update;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    struct qe_level *levels;
    size_t n_levels;
};

dstack_err tcb_info_parse(const char *json, struct tcb_info *out);
void tcb_info_clear(struct tcb_info *t);
dstack_err qe_identity_parse(const char *json, struct qe_identity *out);
void qe_identity_clear(struct qe_identity *q);

/* The PCK certificate's SGX extension (OID 1.2.840.113741.1.13.1). */
struct pck_ext {
    uint8_t ppid[DSTACK_PPID_MAX];
    size_t ppid_len;
    uint8_t cpu_svn[DCAP_SVN_COUNT];
    uint16_t pce_svn;
    uint8_t pce_id[2];
    uint8_t fmspc[DSTACK_FMSPC_LEN];
};
dstack_err pck_ext_parse(X509 *leaf, struct pck_ext *out);

/* RFC 3339 date-time (as Intel writes issueDate/nextUpdate) to UNIX seconds. */
bool dcap_time_parse(const char *s, int64_t *out);

/* Parsed certificates and CRLs by DER hash (der_cache.c); each call returns a new reference. */
X509 *der_cache_x509(const uint8_t *der, size_t len);
X509_CRL *der_cache_crl(const uint8_t *der, size_t len);

/* PKI checks (pki.c). */
struct pki_ctx {
    X509 *root;
    X509_CRL *crls[2];    /* root CA CRL, PCK CRL; NULL when it does not parse */
    EVP_PKEY *crl_key[2]; /* the key that verified crls[k] (crl_check.c), NULL before */
    uint64_t now;
};
dstack_err pki_ctx_init(struct pki_ctx *p, const struct dstack_dcap_options *opts,
                        const struct dstack_collateral *col, uint64_t now);
void pki_ctx_clear(struct pki_ctx *p);
/* Certificates of a PEM text in order; each block must decode. */
dstack_err pki_pem_chain(const char *pem, size_t len, STACK_OF(X509) * *out);
dstack_err pki_verify_chain(struct pki_ctx *p, STACK_OF(X509) * chain, const char *what);
/* ECDSA-P256-SHA256 over msg with a raw r || s signature by cert's key (or a raw x || y key). */
bool pki_verify_raw_sig(X509 *cert, const uint8_t *msg, size_t len, const uint8_t *sig,
                        size_t sig_len);
bool pki_verify_raw_key_sig(const uint8_t key[64], const uint8_t *msg, size_t len,
                            const uint8_t sig[64]);
bool pki_cert_revoked(const struct pki_ctx *p, X509 *cert);
/* Revocation of every certificate of a built path but its anchor (crl_check.c). */
dstack_err crl_check_path(struct pki_ctx *p, STACK_OF(X509) * path);

/* TCB level selection (tcb_match.c). */
dstack_err tcb_match_platform(const struct tcb_info *t, const struct dcap_quote *q,
                              const struct pck_ext *pck, struct tcb_status *out);
dstack_err tcb_match_qe(const struct qe_identity *qi, const uint8_t *qe_report,
                        struct tcb_status *out);

/* cJSON behind one parse call (vjson.c). */
struct cJSON;
struct cJSON *vjson_parse(const char *text, size_t len);
void vjson_free(struct cJSON *j);
const struct cJSON *vjson_get(const struct cJSON *obj, const char *key);
bool vjson_str(const struct cJSON *obj, const char *key, char *out, size_t cap);
bool vjson_int(const struct cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out);
bool vjson_hex(const struct cJSON *obj, const char *key, uint8_t *out, size_t len);
bool vjson_status(const struct cJSON *level, struct tcb_status *st);

#endif

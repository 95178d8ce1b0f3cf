/* The differential suite's case generator (tests/verifier/README.md): a synthetic Intel-like PKI
 * (root, PCK CA, PCK leaf with the SGX extension, TCB signing certificate, CRLs), TCB info and QE
 * identity documents signed by the TCB key, and SGX/TDX quotes signed as a QE would sign them.
 * Every field is a parameter, so a mutation is a change of parameters (re-signed) or of the
 * finished bytes (signature kept). Test code: keys are random per run, nothing is secret. */
#ifndef DSTACK_TESTS_VERIFIER_GEN_H
#define DSTACK_TESTS_VERIFIER_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define GEN_LEVELS_MAX 8
#define GEN_REVOKED_MAX 4

struct gen_level {
    uint8_t sgx[16];
    uint8_t tdx[16];
    uint16_t pcesvn;
    const char *status;
    const char *advisories; /* JSON array body, e.g. "\"INTEL-SA-00001\"" or "" */
};

struct gen_qe_level {
    uint16_t isvsvn;
    const char *status;
    const char *advisories;
};

struct gen_crl {
    long revoked[GEN_REVOKED_MAX];
    size_t n_revoked;
    int64_t this_update, next_update;
    bool wrong_signer; /* signed by a key that is not the issuer's */
    bool garbage;      /* bytes that are no CRL */
};

struct gen_params {
    /* quote header and body */
    uint16_t version;   /* 3, 4 or 5 */
    uint32_t tee_type;  /* 0 SGX, 0x81 TDX */
    uint16_t body_type; /* v5: 1 SGX, 2 TD10, 3 TD15 */
    uint16_t ak_type;
    uint8_t qe_vendor[16];
    uint8_t tee_tcb_svn[16];
    uint8_t mr_signer_seam[48];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t mr_service_td[48];
    uint8_t sgx_attributes[16]; /* the ISV enclave's (SGX quotes) */
    /* QE report */
    uint8_t qe_mrsigner[32];
    uint16_t qe_prodid, qe_isvsvn;
    uint32_t qe_miscselect;
    uint8_t qe_attributes[16];
    size_t qe_auth_len;
    /* PCK leaf certificate */
    uint8_t cpusvn[16];
    uint16_t pcesvn;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    int64_t leaf_not_before, leaf_not_after;
    int64_t tcb_cert_not_after;
    /* TCB info */
    const char *tcb_id;
    int tcb_version;
    uint8_t tcb_fmspc[6];
    const char *tcb_pceid;
    int64_t tcb_issue, tcb_next;
    struct gen_level levels[GEN_LEVELS_MAX];
    size_t n_levels;
    const char *module_identities; /* JSON array text, NULL: none */
    /* QE identity */
    const char *qe_id;
    int qe_version;
    int64_t qe_issue, qe_next;
    uint8_t qe_id_mrsigner[32];
    uint16_t qe_id_prodid;
    const char *qe_misc, *qe_misc_mask, *qe_attr, *qe_attr_mask; /* hex */
    struct gen_qe_level qe_levels[GEN_LEVELS_MAX];
    size_t n_qe_levels;
    /* CRLs */
    struct gen_crl root_crl, pck_crl;
    /* the quote's PCK chain: 0 leaf,ca,root; 1 ca,leaf,root; 2 leaf,root; 3 leaf,ca */
    int chain_variant;
};

/* The keys of one run. */
struct gen_keys {
    EVP_PKEY *root, *pck_ca, *pck, *tcb, *attest, *stranger;
    X509 *root_cert;
    uint8_t root_der[1024];
    size_t root_der_len;
};

/* Serials the generator gives its certificates. */
enum { GEN_SERIAL_ROOT = 1, GEN_SERIAL_PCK_CA = 2, GEN_SERIAL_PCK = 3, GEN_SERIAL_TCB = 4 };

struct gen_output {
    uint8_t *quote;
    size_t quote_len;
    char *collateral_json; /* dcap-qvl's JSON */
};

int gen_keys_new(struct gen_keys *k);
void gen_keys_free(struct gen_keys *k);
void gen_params_default(struct gen_params *p, bool tdx);
int gen_build(const struct gen_keys *k, const struct gen_params *p, struct gen_output *out);
void gen_output_free(struct gen_output *o);

/* The case writer (gen_cases.c). */
#define GEN_NOW 1736899200LL /* 2025-01-15: inside every synthetic validity window */
struct gen_ctx {
    const char *dir;
    const char *fix;
    FILE *manifest;
    int n;
    struct gen_keys keys;
};
void gen_emit(struct gen_ctx *c, const char *cat, const uint8_t *q, size_t qlen, const char *col,
              int64_t now, bool synthetic);
void gen_syn(struct gen_ctx *c, const char *cat, const struct gen_params *p);
void gen_mutations(struct gen_ctx *c); /* gen_mutate.c */

/* gen_pki.c */
X509 *gen_cert(const struct gen_keys *k, int kind, const struct gen_params *p);
uint8_t *gen_crl_der(const struct gen_keys *k, bool root_issuer, const struct gen_crl *c,
                     size_t *len);
int gen_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t out[64]);
char *gen_pem(X509 *const *certs, size_t n);
enum { GEN_CERT_ROOT, GEN_CERT_PCK_CA, GEN_CERT_PCK, GEN_CERT_TCB };

/* gen_docs.c */
char *gen_tcb_info(const struct gen_params *p);
char *gen_qe_identity(const struct gen_params *p);
void gen_iso_time(int64_t t, char out[32]);

#endif

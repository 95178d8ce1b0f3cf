/* dstack_dcap_verify: every check of dcap-qvl's verify_impl (src/verify.rs, and its JS port
 * @phala/dcap-qvl src/verify.js), in the JS port's order, plus the Rust crate's stricter ones
 * (QE vendor ID, QE auth data length, CRL signatures and validity, TDX module identity) and the
 * PCE ID match of Intel's QVL. docs/verify.md lists them. */
#include "dcap.h"

#include <string.h>

#include <openssl/sha.h>

#include "attest/td_report.h"

/* Intel's quoting enclave vendor (dcap-qvl constants.rs INTEL_QE_VENDOR_ID). */
static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

struct run {
    const uint8_t *raw;
    const struct dstack_collateral *col;
    struct dcap_quote q;
    struct pki_ctx pki;
    struct tcb_info tcb;
    struct qe_identity qe;
    STACK_OF(X509) * pck;
    struct pck_ext ext;
    struct tcb_status qe_status, platform;
    X509 *signer; /* the verified leaf of the TCB info chain, and its PEM text */
    const char *signer_pem;
};

static dstack_err check_header(struct run *r)
{
    const struct dcap_quote *q = &r->q;
    if (q->tee_type == DCAP_TEE_SGX && q->version != 3) {
        return err_set(DSTACK_EVERIFY, "SGX TEE quote must have version 3");
    }
    if (q->tee_type == DCAP_TEE_TDX && q->version != 4 && q->version != 5) {
        return err_set(DSTACK_EVERIFY, "TDX TEE quote must have version 4 or 5");
    }
    if (q->tee_type != DCAP_TEE_SGX && q->tee_type != DCAP_TEE_TDX) {
        return err_set(DSTACK_EVERIFY, "Unsupported DCAP TEE type");
    }
    if (q->ak_type != DSTACK_QUOTE_AK_ECDSA_P256) {
        return err_set(DSTACK_EVERIFY, "Unsupported DCAP attestation key type");
    }
    if (memcmp(q->qe_vendor_id, intel_qe_vendor, sizeof intel_qe_vendor) != 0) {
        return err_set(DSTACK_EVERIFY, "Unknown QE vendor ID");
    }
    return DSTACK_OK;
}

/* A signed collateral document: its issuer chain up to the anchor, then its signature. */
static dstack_err check_signed(struct run *r, const char *chain_pem, const char *doc,
                               const uint8_t *sig, size_t sig_len, const char *what)
{
    STACK_OF(X509) *chain = NULL;
    dstack_err err = DSTACK_EVERIFY;
    /* The QE identity is usually signed under the very chain the TCB info was (Intel's TCB
     * signing certificate): that chain was verified at this `now` a moment ago. */
    if (r->signer != NULL && chain_pem != NULL && strcmp(chain_pem, r->signer_pem) == 0) {
        if (pki_verify_raw_sig(r->signer, (const uint8_t *)doc, strlen(doc), sig, sig_len)) {
            return DSTACK_OK;
        }
        return err_set(DSTACK_EVERIFY, "Signature is invalid for %s", what);
    }
    if (chain_pem == NULL || pki_pem_chain(chain_pem, strlen(chain_pem), &chain) != DSTACK_OK) {
        err = err_set(DSTACK_EVERIFY, "%s issuer chain does not parse", what);
        goto out;
    }
    if (sk_X509_num(chain) < 2) {
        err = err_set(DSTACK_EVERIFY, "Certificate chain is too short for %s", what);
        goto out;
    }
    if ((err = pki_verify_chain(&r->pki, chain, what)) != DSTACK_OK) {
        goto out;
    }
    if (!pki_verify_raw_sig(sk_X509_value(chain, 0), (const uint8_t *)doc, strlen(doc), sig,
                            sig_len)) {
        err = err_set(DSTACK_EVERIFY, "Signature is invalid for %s", what);
    } else if (r->signer == NULL && X509_up_ref(sk_X509_value(chain, 0)) == 1) {
        r->signer = sk_X509_value(chain, 0);
        r->signer_pem = chain_pem;
    }
out:
    sk_X509_pop_free(chain, X509_free);
    return err;
}

static dstack_err check_window(struct run *r, int64_t issue, int64_t next, const char *what)
{
    if ((int64_t)r->pki.now < issue) {
        return err_set(DSTACK_EVERIFY, "%s issue date is in the future", what);
    }
    if ((int64_t)r->pki.now > next) {
        return err_set(DSTACK_EVERIFY, "%s expired", what);
    }
    return DSTACK_OK;
}

static dstack_err check_tcb_info(struct run *r)
{
    dstack_err err = tcb_info_parse(r->col->tcb_info, &r->tcb);
    if (err == DSTACK_OK) {
        err = check_window(r, r->tcb.issue_date, r->tcb.next_update, "TCBInfo");
    }
    if (err == DSTACK_OK && pki_cert_revoked(&r->pki, r->pki.root)) {
        return err_set(DSTACK_EVERIFY, "the root CA is revoked");
    }
    if (err == DSTACK_OK) {
        err = check_signed(r, r->col->tcb_info_issuer_chain, r->col->tcb_info,
                           r->col->tcb_info_signature, r->col->tcb_info_signature_len, "tcb_info");
    }
    return err;
}

static dstack_err check_qe_identity(struct run *r)
{
    dstack_err err = qe_identity_parse(r->col->qe_identity, &r->qe);
    if (err == DSTACK_OK) {
        err = check_window(r, r->qe.issue_date, r->qe.next_update, "QE Identity");
    }
    if (err == DSTACK_OK) {
        err = check_signed(r, r->col->qe_identity_issuer_chain, r->col->qe_identity,
                           r->col->qe_identity_signature, r->col->qe_identity_signature_len,
                           "qe_identity");
    }
    if (err != DSTACK_OK) {
        return err;
    }
    bool tdx = r->q.tee_type == DCAP_TEE_TDX;
    if (strcmp(r->qe.id, tdx ? "TD_QE" : "QE") != 0 ||
        !(r->qe.version == 2 || (tdx && r->qe.version == 3))) {
        return err_set(DSTACK_EVERIFY, "Unsupported QE Identity id/version for the quote TEE type");
    }
    return DSTACK_OK;
}

static dstack_err check_pck_chain(struct run *r)
{
    dstack_err err;
    if (r->col->pck_certificate_chain != NULL) {
        const char *pem = r->col->pck_certificate_chain;
        err = pki_pem_chain(pem, strlen(pem), &r->pck);
    } else if (r->q.cert_type != DSTACK_QUOTE_CERT_PCK_CHAIN) {
        return err_set(DSTACK_EVERIFY, "Unsupported DCAP PCK cert format: %u", r->q.cert_type);
    } else {
        err = pki_pem_chain((const char *)r->q.cert_data, r->q.cert_len, &r->pck);
    }
    if (err != DSTACK_OK) {
        return err_set(DSTACK_EVERIFY,
                       "Failed to extract PCK certificates: a PEM block is not a certificate");
    }
    if (sk_X509_num(r->pck) < 2) {
        return err_set(DSTACK_EVERIFY, "Certificate chain is too short in quote");
    }
    return pki_verify_chain(&r->pki, r->pck, "PCK certificate chain");
}

static dstack_err check_qe_report(struct run *r)
{
    const struct dcap_quote *q = &r->q;
    uint8_t hash[SHA256_DIGEST_LENGTH], data[DSTACK_QUOTE_PUBKEY_LEN + DCAP_QE_AUTH_LEN];
    if (!pki_verify_raw_sig(sk_X509_value(r->pck, 0), q->qe_report, DSTACK_QE_REPORT_LEN,
                            q->qe_report_sig, DSTACK_QUOTE_SIG_LEN)) {
        return err_set(DSTACK_EVERIFY, "Signature is invalid for qe_report in quote");
    }
    if (q->qe_auth_len != DCAP_QE_AUTH_LEN) {
        return err_set(DSTACK_EVERIFY, "Invalid QE auth data length");
    }
    memcpy(data, q->attest_key, DSTACK_QUOTE_PUBKEY_LEN);
    memcpy(data + DSTACK_QUOTE_PUBKEY_LEN, q->qe_auth, DCAP_QE_AUTH_LEN);
    SHA256(data, sizeof data, hash);
    if (memcmp(hash, q->qe_report + DSTACK_QE_OFF_REPORT_DATA, sizeof hash) != 0) {
        return err_set(DSTACK_EVERIFY, "QE report hash mismatch");
    }
    dstack_err err = tcb_match_qe(&r->qe, q->qe_report, &r->qe_status);
    if (err == DSTACK_OK &&
        !pki_verify_raw_key_sig(q->attest_key, r->raw, q->signed_len, q->signature)) {
        return err_set(DSTACK_EVERIFY, "ISV enclave report signature is invalid");
    }
    return err;
}

static dstack_err check_platform(struct run *r)
{
    dstack_err err = pck_ext_parse(sk_X509_value(r->pck, 0), &r->ext);
    if (err != DSTACK_OK) {
        return err;
    }
    if (memcmp(r->ext.fmspc, r->tcb.fmspc, DSTACK_FMSPC_LEN) != 0) {
        return err_set(DSTACK_EVERIFY, "Fmspc mismatch");
    }
    if (r->tcb.has_pce_id && memcmp(r->ext.pce_id, r->tcb.pce_id, 2) != 0) {
        return err_set(DSTACK_EVERIFY, "PCE ID mismatch");
    }
    bool tdx = r->q.tee_type == DCAP_TEE_TDX;
    if (tdx && (r->tcb.version < 3 || strcmp(r->tcb.id, "TDX") != 0)) {
        return err_set(DSTACK_EVERIFY, "TDX quote with non-TDX TCB info in the collateral");
    }
    if (!tdx && (r->tcb.version < 2 || strcmp(r->tcb.id, "SGX") != 0)) {
        return err_set(DSTACK_EVERIFY, "SGX quote with non-SGX TCB info in the collateral");
    }
    return tcb_match_platform(&r->tcb, &r->q, &r->ext, &r->platform);
}

/* TD attributes (Intel TDX module ABI TDATTRIBUTES): TUD byte 0 (bit 0 DEBUG) must be zero,
 * reserved SEC bits 8-27 and 29 and OTHER bits 32-62 clear, SEPT_VE_DISABLE (bit 28) set. */
static dstack_err check_attributes(struct run *r)
{
    const uint8_t *b = r->q.body;
    if (r->q.kind == DSTACK_REPORT_SGX) {
        if (b[48] & 0x02) {
            return err_set(DSTACK_EVERIFY, "Debug mode is enabled");
        }
        return DSTACK_OK;
    }
    if (r->q.kind == DSTACK_REPORT_TD15) {
        static const uint8_t zero[DSTACK_MR_LEN];
        if (memcmp(b + DSTACK_TD_REPORT10_LEN + 16, zero, sizeof zero) != 0) {
            return err_set(DSTACK_EVERIFY, "Invalid mr service td");
        }
    }
    const uint8_t *a = b + DSTACK_TD_OFF_TD_ATTRIBUTES;
    if (a[0] != 0) {
        return err_set(DSTACK_EVERIFY, "Debug mode is enabled");
    }
    if (a[1] != 0 || a[2] != 0 || (a[3] & 0x0f) != 0 || (a[3] & 0x20) != 0 || a[4] != 0 ||
        a[5] != 0 || a[6] != 0 || (a[7] & 0x7f) != 0) {
        return err_set(DSTACK_EVERIFY, "Reserved bits in TD attributes are set");
    }
    if ((a[3] & 0x10) == 0) {
        return err_set(DSTACK_EVERIFY, "SEPT_VE_DISABLE is not enabled");
    }
    return DSTACK_OK;
}

static void fill_report(const struct run *r, struct dstack_dcap_report *out)
{
    struct tcb_status final = r->platform;
    tcb_status_merge(&final, &r->qe_status);
    memset(out, 0, sizeof *out);
    memcpy(out->status, final.status, sizeof out->status);
    out->advisory_count = final.n;
    memcpy(out->advisory_ids, final.ids, sizeof out->advisory_ids);
    memcpy(out->platform_status, r->platform.status, sizeof out->platform_status);
    memcpy(out->qe_status, r->qe_status.status, sizeof out->qe_status);
    out->version = r->q.version;
    out->tee_type = r->q.tee_type;
    out->kind = r->q.kind;
    if (r->q.kind == DSTACK_REPORT_SGX) {
        dcap_sgx_report_decode(r->q.body, &out->sgx);
    } else {
        td_report_decode(r->q.body, r->q.kind == DSTACK_REPORT_TD15, &out->td);
    }
    memcpy(out->fmspc, r->ext.fmspc, sizeof out->fmspc);
    memcpy(out->ppid, r->ext.ppid, sizeof out->ppid);
    out->ppid_len = r->ext.ppid_len;
}

static dstack_err run_checks(struct run *r)
{
    dstack_err err = check_header(r);
    if (err == DSTACK_OK) {
        err = check_tcb_info(r);
    }
    if (err == DSTACK_OK) {
        err = check_qe_identity(r);
    }
    if (err == DSTACK_OK) {
        err = check_pck_chain(r);
    }
    if (err == DSTACK_OK) {
        err = check_qe_report(r);
    }
    if (err == DSTACK_OK) {
        err = check_platform(r);
    }
    if (err != DSTACK_OK) {
        return err;
    }
    struct tcb_status final = r->platform;
    tcb_status_merge(&final, &r->qe_status);
    if (!tcb_status_is_valid(final.status)) {
        return err_set(DSTACK_EVERIFY, "TCB status is invalid: %s", final.status);
    }
    return check_attributes(r);
}

dstack_err dstack_dcap_verify(const uint8_t *quote, size_t len, const struct dstack_collateral *col,
                              uint64_t now, const struct dstack_dcap_options *opts,
                              struct dstack_dcap_report *out)
{
    struct run r = {.raw = quote, .col = col};
    dstack_err err;
    if (quote == NULL || col == NULL || out == NULL || now > (uint64_t)INT64_MAX) {
        return err_set(DSTACK_EINVAL, "dstack_dcap_verify: no quote, collateral or output, or a "
                                      "time beyond 2^63");
    }
    if ((err = dcap_quote_parse(quote, len, &r.q)) != DSTACK_OK) {
        return err;
    }
    if ((err = pki_ctx_init(&r.pki, opts, col, now)) != DSTACK_OK) {
        return err;
    }
    err = run_checks(&r);
    if (err == DSTACK_OK) {
        fill_report(&r, out);
    }
    sk_X509_pop_free(r.pck, X509_free);
    X509_free(r.signer);
    tcb_info_clear(&r.tcb);
    qe_identity_clear(&r.qe);
    pki_ctx_clear(&r.pki);
    return err;
}

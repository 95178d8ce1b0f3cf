/* TDX quote v4/v5 parser (docs/attestation.md; layout as dcap-qvl src/quote.rs decodes it).
 * Every read goes through struct byte_reader (util/byte_reader.h), which refuses to step past the
 * end of the buffer. */
#include <dstack/quote.h>

#include <string.h>

#include "attest/td_report.h"
#include "util/byte_reader.h"
#include "util/error.h"

static void parse_header(const uint8_t *b, struct dstack_quote_header *h)
{
    h->version = le16_at(b);
    h->att_key_type = le16_at(b + 2);
    h->tee_type = le32_at(b + 4);
    h->qe_svn = le16_at(b + 8);
    h->pce_svn = le16_at(b + 10);
    memcpy(h->qe_vendor_id, b + 12, sizeof h->qe_vendor_id);
    memcpy(h->user_data, b + 28, sizeof h->user_data);
}

/* Header checks and the body's place: shared by the full parser and the offset helper. */
static dstack_err locate_body(const uint8_t *q, size_t len, struct dstack_quote_header *h,
                              uint16_t *body_type, size_t *body_off, size_t *body_len)
{
    if (len < DSTACK_QUOTE_HEADER_LEN) {
        return err_set(DSTACK_EFORMAT, "quote: shorter than its 48-byte header");
    }
    parse_header(q, h);
    if (h->tee_type != DSTACK_QUOTE_TEE_TDX || h->att_key_type != DSTACK_QUOTE_AK_ECDSA_P256) {
        return err_set(DSTACK_EFORMAT, "quote: not a TDX ECDSA-P256 quote");
    }
    if (h->version == 4) {
        *body_type = DSTACK_QUOTE_BODY_TD10;
        *body_off = DSTACK_QUOTE_HEADER_LEN;
        *body_len = DSTACK_TD_REPORT10_LEN;
    } else if (h->version == 5) {
        /* v5: a 6-byte descriptor (u16 type, u32 size) precedes the body (docs/attestation.md). */
        if (len < DSTACK_QUOTE_HEADER_LEN + DSTACK_QUOTE_V5_DESC_LEN) {
            return err_set(DSTACK_EFORMAT, "quote: v5 body descriptor is truncated");
        }
        *body_type = le16_at(q + DSTACK_QUOTE_HEADER_LEN);
        uint32_t size = le32_at(q + DSTACK_QUOTE_HEADER_LEN + 2);
        if (*body_type == DSTACK_QUOTE_BODY_TD10 && size == DSTACK_TD_REPORT10_LEN) {
            *body_len = DSTACK_TD_REPORT10_LEN;
        } else if (*body_type == DSTACK_QUOTE_BODY_TD15 && size == DSTACK_TD_REPORT15_LEN) {
            *body_len = DSTACK_TD_REPORT15_LEN;
        } else {
            /* SGX bodies or a size that disagrees with the type */
            return err_set(DSTACK_EFORMAT, "quote: v5 body type %u of %u bytes is not a TD report",
                           *body_type, size);
        }
        *body_off = DSTACK_QUOTE_HEADER_LEN + DSTACK_QUOTE_V5_DESC_LEN;
    } else {
        return err_set(DSTACK_EFORMAT, "quote: version %u is not 4 or 5", h->version);
    }
    if (*body_len > len - *body_off) {
        return err_set(DSTACK_EFORMAT, "quote: the TD report runs past the end");
    }
    return DSTACK_OK;
}

dstack_err dstack_quote_report_data_offset(const uint8_t *quote, size_t len, size_t *offset)
{
    struct dstack_quote_header h;
    uint16_t type;
    size_t off = 0, blen = 0;
    if (quote == NULL || offset == NULL) {
        return err_set(DSTACK_EINVAL, "quote: no quote or no output");
    }
    dstack_err err = locate_body(quote, len, &h, &type, &off, &blen);
    if (err == DSTACK_OK) {
        *offset = off + DSTACK_TD_OFF_REPORT_DATA;
    }
    return err;
}

void td_report_decode(const uint8_t *b, bool td15, struct dstack_td_report *t)
{
    memset(t, 0, sizeof *t);
    memcpy(t->tee_tcb_svn, b + DSTACK_TD_OFF_TEE_TCB_SVN, sizeof t->tee_tcb_svn);
    memcpy(t->mr_seam, b + DSTACK_TD_OFF_MR_SEAM, DSTACK_MR_LEN);
    memcpy(t->mr_signer_seam, b + DSTACK_TD_OFF_MR_SIGNER_SEAM, DSTACK_MR_LEN);
    memcpy(t->seam_attributes, b + DSTACK_TD_OFF_SEAM_ATTRIBUTES, sizeof t->seam_attributes);
    memcpy(t->td_attributes, b + DSTACK_TD_OFF_TD_ATTRIBUTES, sizeof t->td_attributes);
    memcpy(t->xfam, b + DSTACK_TD_OFF_XFAM, sizeof t->xfam);
    memcpy(t->mr_td, b + DSTACK_TD_OFF_MR_TD, DSTACK_MR_LEN);
    memcpy(t->mr_config_id, b + DSTACK_TD_OFF_MR_CONFIG_ID, DSTACK_MR_LEN);
    memcpy(t->mr_owner, b + DSTACK_TD_OFF_MR_OWNER, DSTACK_MR_LEN);
    memcpy(t->mr_owner_config, b + DSTACK_TD_OFF_MR_OWNER_CONFIG, DSTACK_MR_LEN);
    memcpy(t->rtmr, b + DSTACK_TD_OFF_RTMR0, sizeof t->rtmr); /* RTMR0..3, contiguous */
    memcpy(t->report_data, b + DSTACK_TD_OFF_REPORT_DATA, DSTACK_REPORT_DATA_LEN);
    t->td15 = td15;
    if (td15) {
        memcpy(t->tee_tcb_svn2, b + DSTACK_TD_REPORT10_LEN, sizeof t->tee_tcb_svn2);
        memcpy(t->mr_service_td, b + DSTACK_TD_REPORT10_LEN + sizeof t->tee_tcb_svn2,
               DSTACK_MR_LEN);
    }
}

/* Signature data, v4 layout (also used by v5, dcap-qvl quote.rs "Quote v5 uses v4 auth data"):
 * u32 len | sig[64] | ak[64] | u16 type(6) | u32 size | QE report[384] | QE sig[64] |
 * u16 auth_len | auth | u16 type(5) | u32 size | chain   (docs/attestation.md) */
static dstack_err parse_auth(const uint8_t *q, size_t len, struct dstack_quote *out)
{
    struct byte_reader all = {q, len, out->signed_len};
    uint32_t sig_len, cert6_len, chain_len;
    uint16_t cert6_type, auth_len;

    if (!br_u32(&all, &sig_len)) {
        return err_set(DSTACK_EFORMAT, "quote: signature data length is missing");
    }
    /* The signature data must lie in the buffer; what follows it is ignored. */
    const uint8_t *sig_data = br_take(&all, sig_len);
    if (sig_data == NULL) {
        return err_set(DSTACK_EFORMAT, "quote: signature data runs past the end");
    }
    out->sig_data_len = sig_len;
    out->end = all.pos;

    struct byte_reader r = {sig_data, sig_len, 0};
    out->signature = br_take(&r, DSTACK_QUOTE_SIG_LEN);
    out->attest_key = br_take(&r, DSTACK_QUOTE_PUBKEY_LEN);
    if (out->attest_key == NULL || !br_u16(&r, &cert6_type) || !br_u32(&r, &cert6_len)) {
        return err_set(DSTACK_EFORMAT,
                       "quote: signature data is truncated before the QE certification data");
    }
    if (cert6_type != DSTACK_QUOTE_CERT_QE_REPORT) {
        return err_set(DSTACK_EFORMAT, "quote: certification data type %u, want 6 (QE report)",
                       cert6_type);
    }
    const uint8_t *cert6 = br_take(&r, cert6_len);
    if (cert6 == NULL) {
        return err_set(DSTACK_EFORMAT, "quote: QE certification data runs past the signature data");
    }

    struct byte_reader c = {cert6, cert6_len, 0};
    out->qe_report = br_take(&c, DSTACK_QE_REPORT_LEN);
    out->qe_report_sig = br_take(&c, DSTACK_QUOTE_SIG_LEN);
    if (out->qe_report_sig == NULL || !br_u16(&c, &auth_len)) {
        return err_set(DSTACK_EFORMAT, "quote: QE report or its signature is truncated");
    }
    out->qe_auth = br_take(&c, auth_len);
    out->qe_auth_len = auth_len;
    if (out->qe_auth == NULL || !br_u16(&c, &out->pck_cert_type) || !br_u32(&c, &chain_len)) {
        return err_set(DSTACK_EFORMAT,
                       "quote: QE auth data or PCK certification header is truncated");
    }
    out->pck_chain = br_take(&c, chain_len);
    out->pck_chain_len = chain_len;
    if (out->pck_chain == NULL) {
        return err_set(DSTACK_EFORMAT,
                       "quote: PCK certificate chain runs past the QE certification data");
    }
    return DSTACK_OK;
}

dstack_err dstack_quote_parse(const uint8_t *quote, size_t len, struct dstack_quote *out)
{
    if (quote == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "quote: no quote or no output");
    }
    memset(out, 0, sizeof *out);
    dstack_err err =
        locate_body(quote, len, &out->header, &out->body_type, &out->body_offset, &out->body_len);
    if (err != DSTACK_OK) {
        return err;
    }
    out->signed_len = out->body_offset + out->body_len;
    td_report_decode(quote + out->body_offset, out->body_type == DSTACK_QUOTE_BODY_TD15,
                     &out->report);
    err = parse_auth(quote, len, out);
    if (err != DSTACK_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

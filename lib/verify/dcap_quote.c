/* DCAP quote layout for every version dcap-qvl accepts (its src/quote.rs Quote::decode; Intel
 * SGX/TDX DCAP quote format): v3 = SGX, v4 = SGX or TDX (TD report 1.0), v5 = a 6-byte body
 * descriptor then an SGX, TD 1.0 or TD 1.5 report. Auth data: v3 carries the QE report
 * directly, v4 and v5 nest it in certification data. */
#include "dcap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/byte_reader.h"

/* The report body's kind and length from the header (and the v5 descriptor). */
static bool locate_report(struct byte_reader *r, struct dcap_quote *q, size_t *body_len)
{
    uint16_t body_type = 0;
    uint32_t body_size = 0;
    if (q->version == 5) {
        /* The descriptor's size is covered by the signature; the body length follows the type. */
        if (!br_u16(r, &body_type) || !br_u32(r, &body_size)) {
            err_set(DSTACK_EFORMAT, "quote too short for the v5 body descriptor");
            return false;
        }
        q->kind = body_type == 1   ? DSTACK_REPORT_SGX
                  : body_type == 2 ? DSTACK_REPORT_TD10
                  : body_type == 3 ? DSTACK_REPORT_TD15
                                   : (enum dstack_report_kind) - 1;
        if (body_type < 1 || body_type > 3) {
            err_set(DSTACK_EFORMAT, "unsupported quote v5 body type %u", body_type);
            return false;
        }
    } else if (q->version == 3 || q->version == 4) {
        if (q->tee_type == DCAP_TEE_SGX) {
            q->kind = DSTACK_REPORT_SGX;
        } else if (q->tee_type == DCAP_TEE_TDX && q->version == 4) {
            q->kind = DSTACK_REPORT_TD10;
        } else {
            err_set(DSTACK_EFORMAT, "invalid TEE type 0x%x for quote version %u", q->tee_type,
                    q->version);
            return false;
        }
    } else {
        err_set(DSTACK_EFORMAT, "unsupported quote version %u", q->version);
        return false;
    }
    *body_len = q->kind == DSTACK_REPORT_SGX    ? DSTACK_SGX_REPORT_LEN
                : q->kind == DSTACK_REPORT_TD10 ? DSTACK_TD_REPORT10_LEN
                                                : DSTACK_TD_REPORT15_LEN;
    return true;
}

/* QE report, its signature, QE auth data and the inner certification data. */
static bool parse_qe_part(struct byte_reader *r, struct dcap_quote *q)
{
    uint16_t auth_len = 0;
    uint32_t cert_len = 0;
    if ((q->qe_report = br_take(r, DSTACK_QE_REPORT_LEN)) == NULL ||
        (q->qe_report_sig = br_take(r, DSTACK_QUOTE_SIG_LEN)) == NULL || !br_u16(r, &auth_len) ||
        (q->qe_auth = br_take(r, auth_len)) == NULL || !br_u16(r, &q->cert_type) ||
        !br_u32(r, &cert_len) || (q->cert_data = br_take(r, cert_len)) == NULL) {
        return false;
    }
    q->qe_auth_len = auth_len;
    q->cert_len = cert_len;
    return true;
}

static bool parse_auth(struct byte_reader *r, struct dcap_quote *q)
{
    if ((q->signature = br_take(r, DSTACK_QUOTE_SIG_LEN)) == NULL ||
        (q->attest_key = br_take(r, DSTACK_QUOTE_PUBKEY_LEN)) == NULL) {
        return false;
    }
    if (q->version == 3) {
        return parse_qe_part(r, q);
    }
    /* v4/v5: certification data (type 6 in practice) whose body holds the QE part. */
    uint16_t outer_type = 0;
    uint32_t outer_len = 0;
    const uint8_t *outer = NULL;
    if (!br_u16(r, &outer_type) || !br_u32(r, &outer_len) ||
        (outer = br_take(r, outer_len)) == NULL) {
        return false;
    }
    struct byte_reader inner = {outer, outer_len, 0};
    return parse_qe_part(&inner, q);
}

dstack_err dcap_quote_parse(const uint8_t *quote, size_t len, struct dcap_quote *q)
{
    struct byte_reader r = {quote, len, 0};
    const uint8_t *h = br_take(&r, DSTACK_QUOTE_HEADER_LEN);
    size_t body_len = 0;
    uint32_t auth_len = 0;
    const uint8_t *auth = NULL;
    memset(q, 0, sizeof *q);
    if (h == NULL) {
        return err_set(DSTACK_EFORMAT, "quote shorter than its header");
    }
    q->version = le16_at(h);
    q->ak_type = le16_at(h + 2);
    q->tee_type = le32_at(h + 4);
    memcpy(q->qe_vendor_id, h + 12, sizeof q->qe_vendor_id);
    if (!locate_report(&r, q, &body_len)) {
        return DSTACK_EFORMAT;
    }
    if ((q->body = br_take(&r, body_len)) == NULL) {
        return err_set(DSTACK_EFORMAT, "quote too short for its report body");
    }
    q->signed_len = r.pos;
    if (!br_u32(&r, &auth_len) || (auth = br_take(&r, auth_len)) == NULL) {
        return err_set(DSTACK_EFORMAT, "quote signature data runs past the end");
    }
    struct byte_reader ar = {auth, auth_len, 0};
    if (!parse_auth(&ar, q)) {
        return err_set(DSTACK_EFORMAT, "quote signature data is truncated");
    }
    return DSTACK_OK;
}

void dcap_sgx_report_decode(const uint8_t b[DSTACK_SGX_REPORT_LEN], struct dstack_sgx_report *r)
{
    memcpy(r->cpu_svn, b, 16);
    r->misc_select = le32_at(b + 16);
    memcpy(r->attributes, b + 48, 16);
    memcpy(r->mr_enclave, b + 64, 32);
    memcpy(r->mr_signer, b + 128, 32);
    r->isv_prod_id = le16_at(b + 256);
    r->isv_svn = le16_at(b + 258);
    memcpy(r->report_data, b + 320, DSTACK_REPORT_DATA_LEN);
}

/* The checks of the test KMS's SignCert before it signs anything (main_service.rs sign_cert):
 * the CSR decoded on its own (not with the agent's encoder), its signature, the attestation
 * bound to the CSR key, and the app id. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <dstack/attest.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>

#include "attest/scale.h"
#include "attest/versioned.h"
#include "crypto/k256.h"
#include "kms_peer.h"
#include "util/hex.h"
#include "x509/appinfo_ext.h"
#include "x509/cert.h"
#include "util/error.h"

void csr_free(struct csr *c)
{
    for (size_t i = 0; i < c->n_alt; i++) {
        free(c->alt[i]);
    }
}

static dstack_err read_text(struct scale_rd *r, char *out, size_t cap)
{
    const uint8_t *p;
    size_t n;
    dstack_err e = scale_read_bytes(r, &p, &n);
    if (e != DSTACK_OK || n >= cap || memchr(p, 0, n) != NULL) {
        return DSTACK_EFORMAT;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return DSTACK_OK;
}

static dstack_err read_bool(struct scale_rd *r, bool *out)
{
    uint8_t b;
    if (scale_read_u8(r, &b) != DSTACK_OK || b > 1) { /* "Invalid boolean representation" */
        return DSTACK_EFORMAT;
    }
    *out = b == 1;
    return DSTACK_OK;
}

static dstack_err read_opt_u64(struct scale_rd *r, bool *has, uint64_t *v)
{
    const uint8_t *le;
    if (read_bool(r, has) != DSTACK_OK) {
        return DSTACK_EFORMAT;
    }
    *v = 0;
    if (*has) {
        if (scale_read_raw(r, 8, &le) != DSTACK_OK) {
            return DSTACK_EFORMAT;
        }
        for (int i = 7; i >= 0; i--) {
            *v = (*v << 8) | le[i];
        }
    }
    return DSTACK_OK;
}

dstack_err csr_decode(const uint8_t *b, size_t len, struct csr *c)
{
    struct scale_rd r = {b, len, 0};
    char org[CSR_TEXT_MAX];
    uint64_t n_alt;
    memset(c, 0, sizeof *c);
    if (read_text(&r, c->confirm, sizeof c->confirm) != DSTACK_OK ||
        scale_read_bytes(&r, &c->pubkey, &c->pubkey_len) != DSTACK_OK ||
        read_bool(&r, &c->has_org) != DSTACK_OK ||
        (c->has_org && read_text(&r, org, sizeof org) != DSTACK_OK) ||
        read_text(&r, c->subject, sizeof c->subject) != DSTACK_OK ||
        scale_read_compact(&r, &n_alt) != DSTACK_OK || n_alt > CSR_MAX_ALT_NAMES) {
        return DSTACK_EFORMAT;
    }
    for (uint64_t i = 0; i < n_alt; i++) {
        char name[CSR_TEXT_MAX];
        if (read_text(&r, name, sizeof name) != DSTACK_OK ||
            (c->alt[c->n_alt] = strdup(name)) == NULL) {
            return DSTACK_EFORMAT;
        }
        c->n_alt++;
    }
    if (read_bool(&r, &c->server) != DSTACK_OK || read_bool(&r, &c->client) != DSTACK_OK ||
        read_bool(&r, &c->ext_quote) != DSTACK_OK || read_bool(&r, &c->ext_app_info) != DSTACK_OK ||
        read_opt_u64(&r, &c->has_nb, &c->nb) != DSTACK_OK ||
        read_opt_u64(&r, &c->has_na, &c->na) != DSTACK_OK || r.pos >= len) {
        return DSTACK_EFORMAT;
    }
    c->attestation = b + r.pos; /* VersionedAttestation takes the rest (attestation.rs:L717) */
    c->attestation_len = len - r.pos;
    return DSTACK_OK;
}

/* Csr::verify (cert.rs:L240-257): signature first, then the confirm word. */
dstack_err csr_verify(const struct csr *c, const uint8_t *csr, size_t csr_len, const uint8_t *sig,
                      size_t sig_len)
{
    const unsigned char *p = c->pubkey;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)c->pubkey_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const char *why = NULL;
    if (pk == NULL || p != c->pubkey + c->pubkey_len) {
        why = "Failed to parse pubkey";
    } else if (EVP_PKEY_base_id(pk) != EVP_PKEY_EC) {
        why = "Unsupported algorithm";
    } else if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
               EVP_DigestVerify(md, sig, sig_len, csr, csr_len) != 1) {
        why = "Invalid signature";
    } else if (strcmp(c->confirm, "please sign cert:") != 0) {
        why = "Invalid confirm word";
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return why != NULL ? err_set(DSTACK_EVERIFY, "%s", why) : DSTACK_OK;
}

/* verify_with_ra_pubkey: report data binds the CSR key, the quote verifies under the
 * simulator's root, RTMR3 replays from the runtime events. Fills log for the app checks. */
dstack_err attestation_verify(const struct peer *p, const struct csr *c,
                              struct versioned_attestation *v, struct dstack_event_log *log)
{
    uint8_t want[DSTACK_REPORT_DATA_LEN], rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    struct dstack_quote q;
    size_t off = 0;
    if (versioned_decode(c->attestation, c->attestation_len, v) != DSTACK_OK) {
        return err_set(DSTACK_EFORMAT, "Failed to decode the attestation");
    }
    if (dstack_ratls_report_data(c->pubkey, c->pubkey_len, want) != DSTACK_OK ||
        dstack_quote_parse(v->quote, v->quote_len, &q) != DSTACK_OK ||
        dstack_quote_report_data_offset(v->quote, v->quote_len, &off) != DSTACK_OK ||
        memcmp(v->quote + off, want, sizeof want) != 0 ||
        memcmp(v->report_data, want, sizeof want) != 0) {
        return err_set(DSTACK_EVERIFY,
                       "report data mismatch: the quote does not bind the CSR public key");
    }
    dstack_err e =
        dstack_quote_verify(v->quote, v->quote_len, p->quote_root_pem, strlen(p->quote_root_pem));
    if (e != DSTACK_OK) {
        return e; /* its own text */
    }
    for (size_t i = 0; i < v->n_events; i++) {
        const struct versioned_event *ev = &v->events[i];
        bool has = ev->digest_len == DSTACK_SHA384_LEN;
        if (dstack_event_log_push(log, ev->imr, ev->event_type, has ? ev->digest : NULL, ev->event,
                                  ev->payload, ev->payload_len, DSTACK_EVENT_V1) != DSTACK_OK) {
            return err_set(DSTACK_EFORMAT, "bad event log");
        }
    }
    if (dstack_replay_rtmrs(log, rtmr) != DSTACK_OK ||
        memcmp(rtmr[3], q.report.rtmr[3], DSTACK_MR_LEN) != 0) {
        return err_set(DSTACK_EVERIFY,
                       "RTMR3 mismatch: the event log does not replay to the quote");
    }
    return DSTACK_OK;
}

dstack_err app_allowed(const struct peer *p, const struct dstack_event_log *log,
                       uint8_t app_id[DSTACK_APP_ID_LEN])
{
    const struct dstack_event *ev = dstack_event_log_find_runtime(log, "app-id");
    if (ev == NULL || ev->payload_len != DSTACK_APP_ID_LEN) {
        return err_set(DSTACK_EVERIFY, "Boot denied: no app-id event");
    }
    memcpy(app_id, ev->payload, DSTACK_APP_ID_LEN);
    for (size_t i = 0; i < p->n_apps; i++) {
        if (memcmp(p->apps[i], app_id, DSTACK_APP_ID_LEN) == 0) {
            return DSTACK_OK;
        }
    }
    char hex[2 * DSTACK_APP_ID_LEN + 1];
    hex_encode(app_id, DSTACK_APP_ID_LEN, hex);
    return err_set(DSTACK_EVERIFY, "Boot denied: app %s is not allowed by this KMS", hex);
}

/* Simulator quoting: see sim_quote.h. */
#include "tee/sim_quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/quote.h>

#include "attest/scale.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/file.h"

struct sim_quoter {
    struct quote_pki *pki; /* normal mode */
    bool fixture_mode;
    bool keep_report_data;                /* upstream's core.simulator.patch_report_data = false */
    struct versioned_attestation fixture; /* fixture mode */
};

/* The whole attestation file; messages say which file it is. */
static dstack_err read_file(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    char *text = NULL;
    dstack_err e = file_read_all(path, max, &text, out_len, NULL);
    if (e != DSTACK_OK) {
        char cause[ERR_TEXT_MAX];
        snprintf(cause, sizeof cause, "%s", err_text()); /* "<path>: <reason>" */
        return err_set(e, "attestation file %s", cause);
    }
    *out = (uint8_t *)text;
    return DSTACK_OK;
}

static dstack_err open_fixture(struct sim_quoter *q, const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    size_t off;
    dstack_err e = read_file(path, SCALE_BUF_MAX, &bytes, &len);
    if (e != DSTACK_OK) {
        return e;
    }
    e = versioned_decode(bytes, len, &q->fixture);
    free(bytes);
    if (e == DSTACK_EUNSUPPORTED) {
        return err_set(
            e, "attestation file %.150s: only V0 (SCALE) DstackTdx attestations are supported",
            path);
    }
    if (e != DSTACK_OK) {
        return err_set(DSTACK_EFORMAT,
                       "attestation file %.150s: malformed or truncated VersionedAttestation",
                       path);
    }
    if (dstack_quote_report_data_offset(q->fixture.quote, q->fixture.quote_len, &off) !=
        DSTACK_OK) {
        return err_set(
            DSTACK_EFORMAT,
            "attestation file %.150s: the quote is not a TDX v4/v5 quote (wrong version or length)",
            path);
    }
    q->fixture_mode = true;
    return DSTACK_OK;
}

/* The collateral of the simulated platform, written as every file the agent creates
 * (util/file.h, docs/security.md). */
static dstack_err write_collateral(const struct quote_pki *pki, const char *path)
{
    struct dstack_collateral *c = NULL;
    char *json = NULL;
    dstack_err e = quote_pki_collateral(pki, &c);
    if (e == DSTACK_OK) {
        e = dstack_collateral_to_json(c, &json);
    }
    dstack_collateral_free(c);
    if (e == DSTACK_OK) {
        e = file_write_new(path, json, strlen(json), 0644, true);
    } else {
        e = err_wrap(e, "cannot build the simulated collateral");
    }
    free(json);
    return e;
}

/* core.simulator.mock_attestation_seed as upstream's mock_attestation::parse_seed reads it: hex
 * of exactly 32 bytes, nothing else. */
static dstack_err mock_seed(const char *text, uint8_t seed[QUOTE_SEED_LEN])
{
    size_t n = 0;
    if (strlen(text) != 2 * QUOTE_SEED_LEN ||
        hex_decode(text, strlen(text), seed, QUOTE_SEED_LEN, &n) != DSTACK_OK ||
        n != QUOTE_SEED_LEN) {
        return err_set(DSTACK_EINVAL,
                       "core.simulator.mock_attestation_seed must be 64 hex digits (32 bytes), as "
                       "upstream's; got %zu characters",
                       strlen(text));
    }
    return DSTACK_OK;
}

/* The PCK chain from the mock seed when set (upstream's TdxGenerator::from_seed), else from the
 * simulator's development seed; its root and collateral are written beside the other files. */
static dstack_err open_pki(struct sim_quoter *q, const struct agent_config *cfg)
{
    uint8_t seed[QUOTE_SEED_LEN];
    char path[2048];
    dstack_err e;
    if (cfg->mock_attestation_seed[0] != '\0') {
        if ((e = mock_seed(cfg->mock_attestation_seed, seed)) != DSTACK_OK) {
            memset(seed, 0, sizeof seed);
            return e; /* its message says what is wrong */
        }
    } else {
        e = quote_seed_from_string(cfg->sim_seed, seed);
    }
    if (e == DSTACK_OK) {
        e = quote_pki_new(seed, &q->pki);
    }
    memset(seed, 0, sizeof seed);
    if (e != DSTACK_OK) {
        return err_set(e, "cannot build the simulated PCK chain: %s", dstack_err_str(e));
    }
    const char *dir = cfg->sim_dir[0] ? cfg->sim_dir : ".";
    snprintf(path, sizeof path, "%s/%s", dir, SIM_ROOT_CA_FILE);
    e = quote_pki_write_root_pem(q->pki, path);
    if (e != DSTACK_OK) {
        return e; /* the text names the file and why */
    }
    snprintf(path, sizeof path, "%s/%s", dir, SIM_COLLATERAL_FILE);
    e = write_collateral(q->pki, path);
    return e == DSTACK_OK ? DSTACK_OK : err_wrap(DSTACK_ETEE, "simulated collateral");
}

dstack_err sim_quoter_open(const struct agent_config *cfg, struct sim_quoter **out)
{
    struct sim_quoter *q = calloc(1, sizeof *q);
    if (q == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    q->keep_report_data = cfg->keep_report_data;
    dstack_err e =
        cfg->attestation_file[0] ? open_fixture(q, cfg->attestation_file) : open_pki(q, cfg);
    if (e == DSTACK_OK && q->fixture_mode && cfg->mock_attestation_seed[0] != '\0') {
        e = open_pki(q, cfg); /* seeded fixture mode: the file's quotes are signed afresh */
    }
    if (e != DSTACK_OK) {
        sim_quoter_close(q);
        return e;
    }
    *out = q;
    return DSTACK_OK;
}

void sim_quoter_close(struct sim_quoter *q)
{
    if (q == NULL) {
        return;
    }
    quote_pki_free(q->pki);
    versioned_free(&q->fixture);
    free(q);
}

const struct versioned_attestation *sim_quoter_fixture(const struct sim_quoter *q)
{
    return q->fixture_mode ? &q->fixture : NULL;
}

const struct quote_pki *sim_quoter_pki(const struct sim_quoter *q)
{
    return q->pki;
}

/* Seeded fixture mode, as upstream's prepare_attestation with a generator
 * (guest-agent-simulator/src/simulator.rs): a new quote from the mock PCK chain carrying the
 * file quote's MRTD and RTMR0-3 and the caller's report_data (patch_report_data does not apply
 * then), every other TD field as the generator leaves it (quote_td_defaults). */
static dstack_err resign_fixture(const struct sim_quoter *q,
                                 const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                                 size_t *out_len)
{
    struct dstack_quote parsed;
    struct quote_td td;
    if (dstack_quote_parse(q->fixture.quote, q->fixture.quote_len, &parsed) != DSTACK_OK) {
        return err_set(DSTACK_EFORMAT, "the attestation file's quote does not parse");
    }
    quote_td_defaults(&td);
    memcpy(td.mr_td, parsed.report.mr_td, DSTACK_MR_LEN);
    memcpy(td.rtmr, parsed.report.rtmr, sizeof td.rtmr);
    dstack_err e = quote_build_v4(q->pki, &td, report_data, out, out_len);
    return e == DSTACK_OK ? e : err_set(e, "cannot sign the quote: %s", dstack_err_str(e));
}

dstack_err sim_quoter_quote(const struct sim_quoter *q, const struct quote_td *td,
                            const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                            size_t *out_len)
{
    if (q == NULL || report_data == NULL || out == NULL || out_len == NULL) {
        return err_set(DSTACK_EINVAL, "sim_quoter_quote: missing argument");
    }
    if (!q->fixture_mode) {
        dstack_err e = td ? quote_build_v4(q->pki, td, report_data, out, out_len) : DSTACK_EINVAL;
        return e == DSTACK_OK ? e : err_set(e, "cannot sign the quote: %s", dstack_err_str(e));
    }
    if (q->pki != NULL) {
        return resign_fixture(q, report_data, out, out_len);
    }
    /* Upstream patches quote[568..632] whatever the version (v1.rs L327-339); we write at the
     * offset of this quote's version (docs/attestation.md item 2). */
    size_t off;
    dstack_err e = dstack_quote_report_data_offset(q->fixture.quote, q->fixture.quote_len, &off);
    if (e != DSTACK_OK) {
        return err_set(e, "the fixture's quote is not a TDX v4/v5 quote");
    }
    uint8_t *copy = malloc(q->fixture.quote_len);
    if (copy == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    memcpy(copy, q->fixture.quote, q->fixture.quote_len);
    if (!q->keep_report_data) { /* false: the fixture's own report_data stays, as upstream */
        memcpy(copy + off, report_data, DSTACK_REPORT_DATA_LEN);
    }
    *out = copy;
    *out_len = q->fixture.quote_len;
    return DSTACK_OK;
}

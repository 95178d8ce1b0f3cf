/* The simulator backend: every call reads or updates the measurement state of sim_state.c;
 * quotes are signed over that state by sim_quote.c. In fixture mode (--attestation FILE) the
 * state is upstream's attestation.bin instead, served as upstream's simulator serves it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/quote.h>

#include "tee/backends.h"
#include "tee/sim_files.h"
#include "tee/sim_quote.h"
#include "tee/sim_state.h"

struct sim_backend {
    struct sim_state *st;      /* NULL in fixture mode */
    struct sim_quoter *quoter; /* signing chain, or the fixture */
    char *fixture_vm_config;   /* fixture mode: the attested config's vm_config, else NULL */
};

static void sim_close(void *state)
{
    struct sim_backend *b = state;
    if (b != NULL) {
        sim_state_free(b->st);
        sim_quoter_close(b->quoter);
        free(b->fixture_vm_config);
        free(b);
    }
}

static dstack_err sim_open(const struct agent_config *cfg, void **state)
{
    struct sim_backend *b = calloc(1, sizeof *b);
    *state = NULL;
    if (b == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err e = sim_quoter_open(cfg, &b->quoter);
    const struct versioned_attestation *fx = e == DSTACK_OK ? sim_quoter_fixture(b->quoter) : NULL;
    if (e == DSTACK_OK && fx == NULL) {
        e = sim_state_open(cfg, &b->st);
    } else if (e == DSTACK_OK) {
        /* The fixture's config is a whole sys-config; its "vm_config" string is attested. */
        cJSON *conf = json_parse(fx->config, fx->config_len, 0, NULL);
        const char *vm = json_str(json_get(conf, "vm_config"));
        b->fixture_vm_config = vm != NULL ? strdup(vm) : NULL;
        json_free(conf);
    }
    if (e != DSTACK_OK) {
        sim_close(b);
        return e;
    }
    *state = b;
    return DSTACK_OK;
}

static dstack_err sim_event_log(void *state, struct dstack_event_log *out)
{
    struct sim_backend *b = state;
    const struct versioned_attestation *fx = sim_quoter_fixture(b->quoter);
    if (fx != NULL) {
        return versioned_event_log(fx, out);
    }
    return sim_state_copy_log(b->st, NULL, out);
}

static dstack_err sim_measurements(void *state, struct tee_measurements *out)
{
    struct sim_backend *b = state;
    const struct versioned_attestation *fx = sim_quoter_fixture(b->quoter);
    if (fx != NULL) {
        struct dstack_quote q;
        dstack_err e = dstack_quote_parse(fx->quote, fx->quote_len, &q);
        if (e != DSTACK_OK) {
            return err_set(e, "the attestation file's quote does not parse");
        }
        tee_measurements_from_report(&q.report, out);
        return DSTACK_OK;
    }
    struct sim_measurements m;
    sim_state_snapshot(b->st, &m);
    memcpy(out->mrtd, m.mrtd, DSTACK_MR_LEN);
    memcpy(out->mr_config_id, m.mr_config_id, DSTACK_MR_LEN);
    memcpy(out->mr_owner, m.mr_owner, DSTACK_MR_LEN);
    memcpy(out->mr_owner_config, m.mr_owner_config, DSTACK_MR_LEN);
    memcpy(out->rtmr, m.rtmr, sizeof m.rtmr);
    return DSTACK_OK;
}

/* Fixture mode: the vm_config inside the attestation's config (a whole sys-config), which is
 * where upstream's Info takes os_image_hash from. */
static const char *sim_attested_vm_config(void *state)
{
    struct sim_backend *b = state;
    return b->fixture_vm_config;
}

/* A quote signed over the registers of this instant (docs/attestation.md). */
static dstack_err sim_quote(void *state, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                            uint8_t **quote, size_t *quote_len)
{
    struct sim_backend *b = state;
    if (sim_quoter_fixture(b->quoter) != NULL) {
        return sim_quoter_quote(b->quoter, NULL, report_data, quote, quote_len);
    }
    struct sim_measurements m;
    struct quote_td td;
    sim_state_snapshot(b->st, &m);
    quote_td_defaults(&td);
    memcpy(td.mr_td, m.mrtd, DSTACK_MR_LEN);
    memcpy(td.mr_config_id, m.mr_config_id, DSTACK_MR_LEN);
    memcpy(td.mr_owner, m.mr_owner, DSTACK_MR_LEN);
    memcpy(td.mr_owner_config, m.mr_owner_config, DSTACK_MR_LEN);
    memcpy(td.rtmr, m.rtmr, sizeof td.rtmr);
    return sim_quoter_quote(b->quoter, &td, report_data, quote, quote_len);
}

static dstack_err sim_emit_event(void *state, const char *name, const uint8_t *payload, size_t len)
{
    struct sim_backend *b = state;
    if (b->st == NULL) {
        /* The fixture's RTMRs are fixed, like upstream's simulator (main.rs v0.5.11 L93-95). */
        return err_set(DSTACK_EUNSUPPORTED,
                       "runtime event emission is unavailable in simulator fixture mode: %.100s",
                       name);
    }
    return sim_state_emit(b->st, name, payload, len);
}

static dstack_err sim_prepare(const struct agent_config *cfg)
{
    return sim_files_ensure(cfg);
}

const struct tee_backend tee_sim = {
    .name = "simulator",
    .prepare = sim_prepare,
    .open = sim_open,
    .close = sim_close,
    .event_log = sim_event_log,
    .measurements = sim_measurements,
    .attested_vm_config = sim_attested_vm_config,
    .quote = sim_quote,
    .emit_event = sim_emit_event,
};

/* The simulator backend: every call reads or updates the measurement state of sim_state.c. */
#include <string.h>

#include "tee/backends.h"
#include "tee/sim_state.h"

static dstack_err sim_open(const struct agent_config *cfg, void **state, char err[TEE_ERROR_MAX])
{
    struct sim_state *st = NULL;
    dstack_err e = sim_state_open(cfg, &st, err, TEE_ERROR_MAX);
    *state = st;
    return e;
}

static void sim_close(void *state)
{
    sim_state_free(state);
}

static dstack_err sim_event_log(void *state, json_t **out)
{
    return sim_state_snapshot(state, NULL, out);
}

static dstack_err sim_measurements(void *state, uint8_t mrtd[DSTACK_MR_LEN],
                                   uint8_t rtmr[4][DSTACK_MR_LEN])
{
    struct sim_measurements m;
    dstack_err e = sim_state_snapshot(state, &m, NULL);
    if (e == DSTACK_OK) {
        memcpy(mrtd, m.mrtd, DSTACK_MR_LEN);
        memcpy(rtmr, m.rtmr, sizeof m.rtmr);
    }
    return e;
}

static dstack_err sim_emit_event(void *state, const char *name, const uint8_t *payload,
                                 size_t len, char err[TEE_ERROR_MAX])
{
    return sim_state_emit(state, name, payload, len, err, TEE_ERROR_MAX);
}

const struct tee_backend tee_sim = {
    .name = "simulator",
    .open = sim_open,
    .close = sim_close,
    .event_log = sim_event_log,
    .measurements = sim_measurements,
    .quote = NULL, /* issue 4: signed quotes over sim_state_snapshot's registers */
    .emit_event = sim_emit_event,
};

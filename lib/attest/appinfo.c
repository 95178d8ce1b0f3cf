/* Values derived from an event log and the measurement registers, as upstream's app-info
 * decoder computes them (dstack/dstack-attest/src/attestation.rs:L911-1025, L1751-1793;
 * docs/api/Info.md). Shared by Info in every backend and by verifiers. */
#include <dstack/attest.h>

#include <string.h>

#include "attest/evlog_internal.h"
#include "util/error.h"

const struct dstack_event *dstack_event_log_find_runtime(const struct dstack_event_log *log,
                                                         const char *name)
{
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        if (e->event_type != DSTACK_RUNTIME_EVENT_TYPE) {
            continue;
        }
        if (strcmp(e->event, name) == 0) {
            return e;
        }
        /* Anything after system-ready is application-defined (docs/simulator-measurements.md). */
        if (strcmp(e->event, "system-ready") == 0) {
            return NULL;
        }
    }
    return NULL;
}

static bool all_zero(const uint8_t *b, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

dstack_err dstack_mr_aggregated(const uint8_t mrtd[DSTACK_MR_LEN],
                                const uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN],
                                const uint8_t *mr_config_id, const uint8_t *mr_owner,
                                const uint8_t *mr_owner_config, uint8_t out[DSTACK_SHA256_LEN])
{
    static const uint8_t zero[DSTACK_MR_LEN];
    uint8_t buf[8 * DSTACK_MR_LEN];
    size_t n = 0;

    if (mrtd == NULL || rtmr == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_mr_aggregated: NULL MRTD, RTMRs or output");
    }
    const uint8_t *cfg = mr_config_id != NULL ? mr_config_id : zero;
    const uint8_t *own = mr_owner != NULL ? mr_owner : zero;
    const uint8_t *ocf = mr_owner_config != NULL ? mr_owner_config : zero;

    memcpy(buf + n, mrtd, DSTACK_MR_LEN);
    n += DSTACK_MR_LEN;
    for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
        memcpy(buf + n, rtmr[i], DSTACK_MR_LEN);
        n += DSTACK_MR_LEN;
    }
    if (!all_zero(cfg, DSTACK_MR_LEN) || !all_zero(own, DSTACK_MR_LEN) ||
        !all_zero(ocf, DSTACK_MR_LEN)) {
        memcpy(buf + n, cfg, DSTACK_MR_LEN);
        n += DSTACK_MR_LEN;
        memcpy(buf + n, own, DSTACK_MR_LEN);
        n += DSTACK_MR_LEN;
        memcpy(buf + n, ocf, DSTACK_MR_LEN);
        n += DSTACK_MR_LEN;
    }
    return evlog_sha256(buf, n, out);
}

dstack_err dstack_mr_system(const uint8_t mrtd[DSTACK_MR_LEN],
                            const uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN],
                            const uint8_t *key_provider_info, size_t kp_len,
                            uint8_t out[DSTACK_SHA256_LEN])
{
    uint8_t buf[4 * DSTACK_MR_LEN + DSTACK_SHA256_LEN];
    if (mrtd == NULL || rtmr == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_mr_system: NULL MRTD, RTMRs or output");
    }
    if (key_provider_info == NULL && kp_len != 0) {
        return err_set(DSTACK_EINVAL,
                       "dstack_mr_system: key_provider_info is NULL but kp_len is %zu", kp_len);
    }
    memcpy(buf, mrtd, DSTACK_MR_LEN);
    for (int i = 0; i < 3; i++) {
        memcpy(buf + (size_t)(i + 1) * DSTACK_MR_LEN, rtmr[i], DSTACK_MR_LEN);
    }
    uint8_t *mr_kp = buf + 4 * DSTACK_MR_LEN;
    memset(mr_kp, 0, DSTACK_SHA256_LEN);
    if (kp_len != 0) {
        dstack_err err = evlog_sha256(key_provider_info, kp_len, mr_kp);
        if (err != DSTACK_OK) {
            return err;
        }
    }
    return evlog_sha256(buf, sizeof buf, out);
}

/* The TEE backend registry: the only place that lists backends (style guide, "TEE backends"). */
#include "tee/tee.h"

#include <string.h>

#include <dstack/quote.h>

#include "tee/backends.h"

static const struct tee_backend *const tee_backends[] = {
    &tee_sim, &tee_tdx, /* real TDX: configfs-tsm or QGS quotes, RTMR3, CCEL + runtime_events.log */
};

const struct tee_backend *tee_backend_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof tee_backends / sizeof tee_backends[0]; i++) {
        if (strcmp(tee_backends[i]->name, name) == 0) {
            return tee_backends[i];
        }
    }
    return NULL;
}

void tee_measurements_from_report(const struct dstack_td_report *r, struct tee_measurements *out)
{
    memcpy(out->mrtd, r->mr_td, DSTACK_MR_LEN);
    memcpy(out->mr_config_id, r->mr_config_id, DSTACK_MR_LEN);
    memcpy(out->mr_owner, r->mr_owner, DSTACK_MR_LEN);
    memcpy(out->mr_owner_config, r->mr_owner_config, DSTACK_MR_LEN);
    memcpy(out->rtmr, r->rtmr, sizeof out->rtmr);
}

/* The TEE backend registry: the only place that lists backends (style guide, "TEE backends"). */
#include "tee/tee.h"

#include <string.h>

#include "tee/backends.h"

static const struct tee_backend *const tee_backends[] = {
    &tee_sim,
    &tee_tdx, /* real TDX: configfs-tsm or QGS quotes, RTMR3, CCEL + runtime_events.log */
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

/* Finding a backend by name among the program's (tee_backends, see tee.h). */
#include "tee/tee.h"

#include <string.h>

#include <dstack/quote.h>

const struct tee_backend *tee_backend_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; tee_backends[i] != NULL; i++) {
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

#include "config_check.h"

#include <stdio.h>

int config_check_listeners(const struct agent_config *cfg, char err[CONFIG_ERROR_MAX])
{
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        const struct listener_config *l = &cfg->listeners[i];
        if (l->restricted && l->n_methods == 0) {
            snprintf(err, CONFIG_ERROR_MAX,
                     "listener %.300s: the method list is empty, so it would serve nothing; "
                     "name the methods to serve, or drop the list to serve every method",
                     l->address);
            return -1;
        }
    }
    return 0;
}

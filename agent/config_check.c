#include "config_check.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dstack_err config_check_listeners(const struct agent_config *cfg)
{
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        const struct listener_config *l = &cfg->listeners[i];
        if (l->restricted && l->n_methods == 0) {
            return err_set(DSTACK_EINVAL,
                           "listener %.300s: the method list is empty, so it would serve nothing; "
                           "name the methods to serve, or drop the list to serve every method",
                           l->address);
        }
    }
    return DSTACK_OK;
}

static dstack_err server_uint(const char *value, unsigned long min, unsigned long max,
                              const char *what, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max) {
        return err_set(DSTACK_EINVAL, "%s: invalid value \"%.100s\" (%lu..%lu)", what, value, min,
                       max);
    }
    *out = (unsigned)v;
    return DSTACK_OK;
}

dstack_err config_server_option(struct agent_config *cfg, int opt, const char *value)
{
    switch (opt) {
    case CONFIG_OPT_REQUEST_TIMEOUT:
        return server_uint(value, 1, 3600, "--request-timeout", &cfg->request_timeout);
    case CONFIG_OPT_MIN_RATE:
        return server_uint(value, 0, 1ul << 30, "--min-rate", &cfg->min_rate);
    case CONFIG_OPT_ALLOW_HOST: {
        size_t max = sizeof cfg->allowed_hosts / sizeof cfg->allowed_hosts[0];
        size_t len = strlen(value);
        if (cfg->n_allowed_hosts == max || len == 0 || len >= sizeof cfg->allowed_hosts[0] ||
            strpbrk(value, ":/ \t") != NULL) {
            return err_set(
                DSTACK_EINVAL,
                "--allow-host: \"%.100s\" is not a host name, or more than %zu were given", value,
                max);
        }
        memcpy(cfg->allowed_hosts[cfg->n_allowed_hosts++], value, len + 1);
        return DSTACK_OK;
    }
    default:
        return err_set(DSTACK_EINVAL, "unknown server option");
    }
}

/* Checks of a finished configuration that are rules of their own, kept apart from the parser
 * (which may change format): each error names the listener it is about. */
#ifndef DSTACK_AGENT_CONFIG_CHECK_H
#define DSTACK_AGENT_CONFIG_CHECK_H

#include "config.h"
#include "util/error.h"

/* A restricted listener with no method at all is an error, not "every method": `"methods": []`
 * or `--methods ""` once served GetKey on the socket meant to refuse it. */
dstack_err config_check_listeners(const struct agent_config *cfg);

/* The server core's options (internal/server/srv.h), kept out of the parser's switch:
 * --request-timeout SEC (1-3600), --min-rate BYTES (0 = none), --allow-host NAME (repeatable,
 * at most 8). 0, or -1 with a message. */
enum {
    CONFIG_OPT_REQUEST_TIMEOUT = 512,
    CONFIG_OPT_MIN_RATE,
    CONFIG_OPT_ALLOW_HOST,
};
dstack_err config_server_option(struct agent_config *cfg, int opt, const char *value);

#endif

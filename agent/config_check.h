/* Checks of a finished configuration that are rules of their own, kept apart from the parser
 * (which may change format): each error names the listener it is about. */
#ifndef DSTACK_AGENT_CONFIG_CHECK_H
#define DSTACK_AGENT_CONFIG_CHECK_H

#include "config.h"

/* A restricted listener with no method at all is an error, not "every method": `"methods": []`
 * or `--methods ""` once served GetKey on the socket meant to refuse it. */
int config_check_listeners(const struct agent_config *cfg, char err[CONFIG_ERROR_MAX]);

#endif

/* Start-up of the agent state: files, keys, TEE backend. Every failure names the file. */
#ifndef DSTACK_AGENT_STARTUP_H
#define DSTACK_AGENT_STARTUP_H

#include "agent.h"

#define STARTUP_ERROR_MAX 512

dstack_err agent_open(struct agent *a, const struct agent_config *cfg, char err[STARTUP_ERROR_MAX]);
void agent_close(struct agent *a);

/* Reads a whole regular file of at most max bytes (NUL-terminated). */
dstack_err read_file_limited(const char *path, size_t max, char **out, size_t *len,
                             char err[STARTUP_ERROR_MAX]);

#endif

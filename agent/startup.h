/* Start-up of the agent state: files, keys, TEE backend. Every failure names the file. */
#ifndef DSTACK_AGENT_STARTUP_H
#define DSTACK_AGENT_STARTUP_H

#include "agent.h"

/* Opens everything the agent serves from; on failure nothing is left open and err_text() names
 * the file or part that failed. */
dstack_err agent_open(struct agent *a, const struct agent_config *cfg);
void agent_close(struct agent *a);

#endif

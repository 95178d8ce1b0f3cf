/* The daemon's main loop, shared by dstack-guest-agent and dstack-simulator. */
#ifndef DSTACK_AGENT_DAEMON_H
#define DSTACK_AGENT_DAEMON_H

#include <stdbool.h>

struct agent;
struct agent_config;

/* Runs once the agent state is open, before the listeners start (the simulator's checks). */
typedef void (*daemon_hook)(const struct agent *a, const struct agent_config *cfg);

/* simulator: the simulator's defaults, file creation and log target; after_open may be NULL. */
int daemon_main(int argc, char **argv, bool simulator, daemon_hook after_open);

#endif

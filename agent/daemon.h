/* The daemon's main loop, shared by dstack-guest-agent and dstack-simulator. */
#ifndef DSTACK_AGENT_DAEMON_H
#define DSTACK_AGENT_DAEMON_H

#include <stdbool.h>

int daemon_main(int argc, char **argv, bool simulator);

#endif

/* The backends of dstack-simulator and of the tests. Compiled into each program that links
 * dstack_agent_sim, rather than archived, so the list is always there whatever the link order;
 * the production agent has its own list without the simulator (main_agent.c). */
#include "tee/backends.h"

const struct tee_backend *const tee_backends[] = {&tee_sim, &tee_tdx, NULL};

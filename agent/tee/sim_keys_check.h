/* A start-up warning of the simulator: its keys file was issued for another app id than the one
 * it reports (see sim_keys_check.c). */
#ifndef DSTACK_AGENT_TEE_SIM_KEYS_CHECK_H
#define DSTACK_AGENT_TEE_SIM_KEYS_CHECK_H

#include "agent.h"
#include "config.h"

/* Logs the explanation when a's keys do not belong to its app id; silent otherwise. */
void sim_keys_check(const struct agent *a, const struct agent_config *cfg);

#endif

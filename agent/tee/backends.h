/* The TEE backends compiled into the agent; only tee.c lists them. */
#ifndef DSTACK_AGENT_TEE_BACKENDS_H
#define DSTACK_AGENT_TEE_BACKENDS_H

#include "tee/tee.h"

extern const struct tee_backend tee_sim; /* sim.c */
extern const struct tee_backend tee_tdx; /* tdx.c */

#endif

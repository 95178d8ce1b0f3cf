/* The TEE backends; each program names the ones it carries in tee_backends (tee.h). */
#ifndef DSTACK_AGENT_TEE_BACKENDS_H
#define DSTACK_AGENT_TEE_BACKENDS_H

#include "tee/tee.h"

extern const struct tee_backend tee_sim; /* sim.c: dstack-simulator only */
extern const struct tee_backend tee_tdx; /* tdx.c: configfs-tsm or QGS quotes, RTMR3, CCEL */

#endif

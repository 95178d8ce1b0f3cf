/* Bounds of EmitEvent (docs/api/EmitEvent.md). Upstream reads its runtime log with no limit; a
 * log past the start-up reader's cap (64 MiB) once kept the agent from ever starting again, and
 * Info and GetQuote answers grew with it. Each bound is checked before RTMR3 is extended, and
 * refused with a message naming it. All sit far above real use: upstream's own events carry
 * names of ~20 bytes and payloads of at most a few hundred. */
#ifndef DSTACK_AGENT_TEE_EVENT_LIMITS_H
#define DSTACK_AGENT_TEE_EVENT_LIMITS_H

#include <dstack/attest.h>

#include "attest/scale.h"

#define EVENT_NAME_MAX 256u              /* bytes of an event name */
#define EVENT_PAYLOAD_MAX (128u * 1024u) /* bytes of a decoded payload */
#define EVENT_LOG_BYTES_MAX (4u << 20)   /* bytes of runtime_events.log after the append */
#define EVENT_RUNTIME_COUNT_MAX 10000u   /* runtime events in the log, the new one included */

/* The start-up readers must take every log the writer can produce: 4 MiB fits their 64 MiB, and
 * 10,000 runtime events plus any boot log fit the parser's event cap. GetQuote's attestation
 * (SCALE, capped at SCALE_BUF_MAX) carries each runtime event's name and payload twice (in the
 * event log and in the runtime list), raw, plus ~72 bytes per event, plus the boot log: a full
 * log must still encode, with 1 MiB for the boot log. */
_Static_assert(EVENT_RUNTIME_COUNT_MAX * 2 <= DSTACK_EVENT_LOG_MAX_EVENTS,
               "runtime events must leave room for the boot events in the parser's cap");
_Static_assert(2u * EVENT_LOG_BYTES_MAX + EVENT_RUNTIME_COUNT_MAX * 72u + (1u << 20) <=
                   SCALE_BUF_MAX,
               "a full runtime log must still fit GetQuote's attestation encoding");

#endif

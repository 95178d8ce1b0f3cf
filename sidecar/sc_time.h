/* Timestamps for GET / (the seed shows "2026-02-12T09:30:45.123456Z": RFC 3339, UTC, 'Z',
 * microseconds; upstream's chrono to_rfc3339() would print "+00:00" instead, docs/sidecar.md). */
#ifndef DSTACK_SIDECAR_TIME_H
#define DSTACK_SIDECAR_TIME_H

#include <time.h>

#define SC_RFC3339_LEN 28 /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + NUL */

/* Formats ts (CLOCK_REALTIME) in UTC. 0 on success, -1 when the year is outside 0000-9999. */
int sc_rfc3339_utc(const struct timespec *ts, char out[SC_RFC3339_LEN]);

#endif

/* The query string of /quote and /attest: ?data=<percent-encoded text> or ?hex=<hex bytes>.
 *
 * Upstream's sidecar (docs/sidecar.md) reads `data` with axum's Query extractor
 * (form-urlencoded: percent-decoding, '+' is a space), defaults to "hello world" and hands the
 * UTF-8 bytes to the SDK, which allows at most 64. We decode strictly and say what is wrong:
 *   - a '%' not followed by two hex digits, a parameter other than data/hex, a parameter given
 *     twice, data and hex together, data that is not UTF-8, hex that is not hex, more than
 *     64 bytes: HTTP 400;
 *   - a raw query longer than SC_QUERY_MAX: HTTP 414.
 * `?data=` (present, empty) means empty report data (the agent pads it with zeros); no parameter
 * at all means "hello world". */
#ifndef DSTACK_SIDECAR_QUERY_H
#define DSTACK_SIDECAR_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define SC_QUERY_MAX 4096u            /* raw query bytes accepted */
#define SC_DEFAULT_DATA "hello world" /* upstream handlers.rs default */

struct sc_report_data {
    uint8_t b[DSTACK_REPORT_DATA_LEN];
    size_t len;
};

/* Strict application/x-www-form-urlencoded decoding of n bytes: "%XX" (either case) is one byte,
 * '+' is a space. Writes at most cap bytes; 0 on success, -1 on a bad escape or when the result
 * does not fit. */
int sc_percent_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* Reads the report data from a raw query string (the text after '?', NULL or "" when none).
 * Returns 0 and fills *out, or the HTTP status to answer (400 or 414) with a one-line ASCII
 * reason in err_text(). */
unsigned sc_query_report_data(const char *query, size_t len, struct sc_report_data *out);

#endif

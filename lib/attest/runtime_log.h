/* Upstream's runtime event log file, one JSON object per line (docs/tdx.md,
 * dstack/cc-eventlog/src/runtime_events.rs:L50-103):
 *     {"event":"app-id","payload":"W7T/mjg3NX8Z3BdkB6VwnGLrbFY="}
 * payload is standard base64 with padding (util/base64.h, strict as the base64 crate's STANDARD
 * engine); "version":2 follows only for V2 events. The real agent reads
 * /run/log/dstack/runtime_events.log; the simulator keeps its own copy. */
#ifndef DSTACK_ATTEST_RUNTIME_LOG_H
#define DSTACK_ATTEST_RUNTIME_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>

/* One line, '\n' included, malloc'd into *line (length *line_len). */
dstack_err runtime_log_format_line(const char *name, const uint8_t *payload, size_t payload_len,
                                   unsigned version, char **line, size_t *line_len);

/* Parses a whole file's text and appends each event to log as a runtime event (IMR 3, digest
 * computed). Blank lines are skipped as upstream does. A last line without '\n' that does not
 * parse is a torn write (a crash mid-append): it is not an error, parsing stops before it and
 * *valid_len tells how many leading bytes hold whole entries (the caller truncates the file
 * there). Any other bad line is DSTACK_EFORMAT with the error text (util/error.h) naming its
 * line number; log is then left as it was. */
dstack_err runtime_log_parse(const char *text, size_t len, struct dstack_event_log *log,
                             size_t *valid_len);

#endif

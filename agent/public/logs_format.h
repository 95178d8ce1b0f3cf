/* The /logs route's pure parts, apart from HTTP and Docker so they are unit-tested and fuzzed:
 * upstream's duration syntax, Rocket's form booleans, and one output entry per Docker message
 * (guest-agent/src/http_routes.rs get_logs and log_to_json; docs/api/public-logs.md). */
#ifndef DSTACK_AGENT_PUBLIC_LOGS_FORMAT_H
#define DSTACK_AGENT_PUBLIC_LOGS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "client/strbuf.h"
#include "docker.h"

/* since/until: "" -> 0; all digits -> that many seconds since the epoch; <n>s|m|h|d -> now - n
 * units (0 when that is before the epoch). False on anything else, or on overflow. */
bool logs_parse_duration(const char *text, time_t now, int64_t *out);

/* A query flag by Rocket's rules: absent -> false; no value, "", "true", "on", "yes" -> true;
 * "false", "off", "no" -> false (case-insensitive). False return = not a boolean. */
bool logs_parse_flag(bool present, const char *value, bool *out);

struct logs_format {
    bool text; /* message as UTF-8 text (invalid bytes -> U+FFFD), else base64 */
    bool bare; /* just the message, no JSON and no newline added */
    bool ansi; /* bare text keeps ANSI escape sequences (else they are removed) */
};

/* Appends one entry: {"channel":"stdout","message":"..."}\n, or the bare message. */
void logs_format_entry(const struct logs_format *f, enum docker_channel channel, const uint8_t *msg,
                       size_t len, struct strbuf *out);

/* Appends {"error":"<msg>"} (no newline), as upstream's stream reports an error. */
void logs_format_error(const char *msg, struct strbuf *out);

/* Building blocks, exposed for the tests. */
void logs_utf8_lossy(const uint8_t *in, size_t len, struct strbuf *out);
void logs_strip_ansi(const char *in, size_t len, struct strbuf *out);
void logs_json_string(const char *in, size_t len, struct strbuf *out); /* with the quotes */

#endif

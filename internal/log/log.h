/* The one logger of the daemons (agent, simulator, sidecar): leveled lines on stderr, where
 * journald picks them up, filtered per target as upstream's RUST_LOG is read (env_logger and
 * tracing's EnvFilter syntax): a level ("debug"), a target ("dstack_guest_agent", meaning every
 * level), or target=level pairs, comma-separated. docs/configuration.md, "Logging".
 * One write(2) per line, so lines from concurrent threads never interleave. Never pass key
 * material, quote bodies or anything a client sent. */
#ifndef DSTACK_INTERNAL_LOG_H
#define DSTACK_INTERNAL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include <dstack/common.h>

enum log_level { LOG_OFF = -1, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* The target every line of this process is logged under: the upstream crate name
 * ("dstack_guest_agent", "dstack_quote_sidecar"). Call once at start-up, before any thread. */
void log_init(const char *program_target);

/* One level for every target (--log-level, the configuration's log_level). */
void log_set_level(enum log_level level);

/* A RUST_LOG value. Each comma-separated directive is `level` (the default for every target),
 * `target` (every level of targets starting with it) or `target=level`; the longest matching
 * target wins, and a target nothing names gets the default, which is `off` when no bare level is
 * given (as env_logger). Level names are case-insensitive: off, error, warn, info, debug, trace.
 * A bare word that is neither a level nor this program's target is refused (most likely a typo
 * such as "debgu"), as is a value naming nothing. DSTACK_OK when applied; DSTACK_EINVAL with the
 * reason in err_text() (the filter is then unchanged). */
dstack_err log_set_filter(const char *spec);

/* What spec (a RUST_LOG value, read as log_set_filter reads it) gives target, without applying
 * it. DSTACK_OK with *out set, or DSTACK_EINVAL with the reason in err_text(). */
dstack_err log_filter_level(const char *spec, const char *target, enum log_level *out);

/* The threshold lines of target are filtered at. */
enum log_level log_level_for(const char *target);

/* Whether a line at level would be written (to skip preparing one that would not). */
bool log_enabled(enum log_level level);

/* One level name; false when unknown. */
bool log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif

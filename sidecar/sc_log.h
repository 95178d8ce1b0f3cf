/* Leveled logging of the sidecar to stderr, RUST_LOG-style levels (the sidecar README's "Logging"
 * section, docs/sidecar.md). One write per line so concurrent worker threads never interleave.
 * Never pass quote bodies, report data or anything the agent returned: request lines carry method,
 * path, status, time. */
#ifndef DSTACK_SIDECAR_LOG_H
#define DSTACK_SIDECAR_LOG_H

enum sc_log_level {
    SC_LOG_OFF = -1,
    SC_LOG_ERROR,
    SC_LOG_WARN,
    SC_LOG_INFO,
    SC_LOG_DEBUG,
    SC_LOG_TRACE
};

/* The crate name of upstream's sidecar, accepted as a RUST_LOG target. */
#define SC_LOG_TARGET "dstack_quote_sidecar"

void sc_log_set_level(enum sc_log_level level);
enum sc_log_level sc_log_get_level(void);

/* One level name: off|error|warn|info|debug|trace (case-insensitive). 0 and *out set on success,
 * -1 for anything else. */
int sc_log_level_parse(const char *name, enum sc_log_level *out);

/* A RUST_LOG value as tracing-subscriber's EnvFilter reads it, reduced to one global level:
 * comma-separated directives, each `level` or `target=level` (e.g. "info",
 * "dstack_quote_sidecar=debug,tower_http=warn"); the most verbose level named wins, since every
 * line here belongs to the sidecar. The bare target "dstack_quote_sidecar" means trace, as
 * EnvFilter reads it; any other bare word is refused (a typo such as "debgu"). Empty directives
 * are skipped. -1 when a level is unknown or nothing is named; *out is untouched then. */
int sc_log_filter_parse(const char *rust_log, enum sc_log_level *out);

void sc_log_msg(enum sc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sc_log_error(...) sc_log_msg(SC_LOG_ERROR, __VA_ARGS__)
#define sc_log_warn(...) sc_log_msg(SC_LOG_WARN, __VA_ARGS__)
#define sc_log_info(...) sc_log_msg(SC_LOG_INFO, __VA_ARGS__)
#define sc_log_debug(...) sc_log_msg(SC_LOG_DEBUG, __VA_ARGS__)
#define sc_log_trace(...) sc_log_msg(SC_LOG_TRACE, __VA_ARGS__)

#endif

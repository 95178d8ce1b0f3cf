#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int log_threshold = LOG_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug", "trace"};

void log_set_level(enum log_level level)
{
    atomic_store(&log_threshold, (int)level);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&log_threshold);
}

int log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
        if (strcmp(name, log_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if ((int)level > atomic_load(&log_threshold)) {
        return;
    }
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, log_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) {
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    }
    va_end(ap);
    /* One write per line so concurrent threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

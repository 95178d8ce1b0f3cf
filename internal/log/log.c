/* Writing one log line: tracing's fmt layout without the target, as upstream's daemons print
 * ("2026-01-02T03:04:05.123456Z  INFO message"). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_priv.h"

#define LOG_LINE_MAX 1024

static const char *const tags[] = {"ERROR", " WARN", " INFO", "DEBUG", "TRACE"};

bool log_enabled(enum log_level level)
{
    return level >= LOG_ERROR && (int)level <= log_threshold();
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < LOG_ERROR || level > LOG_TRACE || (int)level > log_threshold()) {
        return;
    }
    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000, tags[level]);
    if (n < 0 || (size_t)n >= sizeof line) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n;
    if (m > 0) {
        size_t room = sizeof line - (size_t)n - 1;
        len += (size_t)m < room ? (size_t)m : room - 1; /* a long message is cut, not dropped */
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

#include "sc_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int sc_log_threshold = SC_LOG_INFO;
/* tracing's level names, upper case as its fmt layer prints them. */
static const char *const sc_log_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const sc_log_tags[] = {"ERROR", " WARN", " INFO", "DEBUG", "TRACE"};

void sc_log_set_level(enum sc_log_level level)
{
    atomic_store(&sc_log_threshold, (int)level);
}

enum sc_log_level sc_log_get_level(void)
{
    return (enum sc_log_level)atomic_load(&sc_log_threshold);
}

static int level_from(const char *s, size_t n, enum sc_log_level *out)
{
    if (n == 3 && strncasecmp(s, "off", 3) == 0) {
        *out = SC_LOG_OFF;
        return 0;
    }
    for (size_t i = 0; i < sizeof sc_log_names / sizeof sc_log_names[0]; i++) {
        if (n == strlen(sc_log_names[i]) && strncasecmp(s, sc_log_names[i], n) == 0) {
            *out = (enum sc_log_level)i;
            return 0;
        }
    }
    return -1;
}

int sc_log_level_parse(const char *name, enum sc_log_level *out)
{
    return name != NULL ? level_from(name, strlen(name), out) : -1;
}

int sc_log_filter_parse(const char *rust_log, enum sc_log_level *out)
{
    if (rust_log == NULL) {
        return -1;
    }
    int best = -2; /* nothing named yet */
    const char *p = rust_log;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *d = p;
        size_t dn = n;
        while (dn > 0 && (*d == ' ' || *d == '\t')) {
            d++;
            dn--;
        }
        while (dn > 0 && (d[dn - 1] == ' ' || d[dn - 1] == '\t')) {
            dn--;
        }
        if (dn > 0) {
            const char *eq = memchr(d, '=', dn);
            enum sc_log_level lv;
            if (eq != NULL) {
                if (level_from(eq + 1, dn - (size_t)(eq + 1 - d), &lv) != 0) {
                    return -1;
                }
            } else if (level_from(d, dn, &lv) != 0) {
                /* A bare target enables every level for it (EnvFilter); the only target whose
                 * lines we print is our own. Anything else is most likely a typo ("debgu"). */
                if (dn != strlen(SC_LOG_TARGET) || strncmp(d, SC_LOG_TARGET, dn) != 0) {
                    return -1;
                }
                lv = SC_LOG_TRACE;
            }
            if ((int)lv > best) {
                best = (int)lv;
            }
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    if (best == -2) {
        return -1;
    }
    *out = (enum sc_log_level)best;
    return 0;
}

void sc_log_msg(enum sc_log_level level, const char *fmt, ...)
{
    if (level < SC_LOG_ERROR || (int)level > atomic_load(&sc_log_threshold)) {
        return;
    }
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000, sc_log_tags[level]);
    if (n < 0 || (size_t)n >= sizeof line) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n;
    if (m > 0) {
        len += (size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m : sizeof line - (size_t)n - 2;
    }
    line[len++] = '\n';
    /* One write(2): lines from concurrent workers stay whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

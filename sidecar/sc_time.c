#include "sc_time.h"

#include <stdio.h>

int sc_rfc3339_utc(const struct timespec *ts, char out[SC_RFC3339_LEN])
{
    struct tm tm;
    if (gmtime_r(&ts->tv_sec, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
        return -1;
    }
    int n =
        snprintf(out, SC_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000);
    return n == SC_RFC3339_LEN - 1 ? 0 : -1;
}

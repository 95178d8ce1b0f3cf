#include "guest_api/proc_text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool proc_text_read(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return false;
    }
    size_t n = 0;
    bool ok = true;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            ok = false;
            break;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    buf[ok ? n : 0] = '\0';
    return ok;
}

bool proc_text_u64(const char *path, uint64_t *out)
{
    char buf[64];
    if (!proc_text_read(path, buf, sizeof buf)) {
        return false;
    }
    char *p = buf + strspn(buf, " \t\n");
    if (*p < '0' || *p > '9') {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno != 0) {
        return false;
    }
    *out = v;
    return true;
}

bool proc_text_field(const char *text, const char *key, char sep, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        const char *stop = line + len;
        const char *v = line + klen;
        while (len > klen && v < stop && (*v == ' ' || *v == '\t')) {
            v++; /* /proc/cpuinfo pads its keys with tabs */
        }
        if (len > klen && strncmp(line, key, klen) == 0 && v < stop && *v == sep) {
            v++;
            while (v < stop && (*v == ' ' || *v == '\t')) {
                v++;
            }
            if (stop - v >= 2 && *v == '"' && stop[-1] == '"') {
                v++;
                stop--;
            }
            size_t n = (size_t)(stop - v);
            n = n < cap - 1 ? n : cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        line = end != NULL ? end + 1 : NULL;
    }
    out[0] = '\0';
    return false;
}

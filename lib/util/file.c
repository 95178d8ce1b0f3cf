#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

dstack_err file_read_all(const char *path, size_t max, char **out, size_t *len, bool *missing,
                         char *err, size_t cap)
{
    *out = NULL;
    *len = 0;
    if (missing != NULL) {
        *missing = false;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && missing != NULL) {
            *missing = true;
            return DSTACK_OK;
        }
        snprintf(err, cap, "%.400s: %s", path, strerror(errno));
        return DSTACK_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        snprintf(err, cap, "%.400s: not a regular file of at most %zu bytes", path, max);
        close(fd);
        return DSTACK_EIO;
    }
    size_t size = (size_t)st.st_size, n = 0;
    char *buf = malloc(size + 1);
    while (buf != NULL && n < size) {
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (buf == NULL) {
        snprintf(err, cap, "%.400s: out of memory", path);
        return DSTACK_ENOMEM;
    }
    if (n != size) { /* shrank while we read it */
        snprintf(err, cap, "%.400s: read failed", path);
        free(buf);
        return DSTACK_EIO;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DSTACK_OK;
}

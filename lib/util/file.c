#include "util/file.h"

#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

dstack_err file_read_all(const char *path, size_t max, char **out, size_t *len, bool *missing)
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
        (void)err_set(DSTACK_EIO, "%.400s: %s", path, strerror(errno));
        return DSTACK_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        (void)err_set(DSTACK_EIO, "%.400s: not a regular file of at most %zu bytes", path, max);
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
        (void)err_set(DSTACK_ENOMEM, "%.400s: out of memory", path);
        return DSTACK_ENOMEM;
    }
    if (n != size) { /* shrank while we read it */
        (void)err_set(DSTACK_EIO, "%.400s: read failed", path);
        free(buf);
        return DSTACK_EIO;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DSTACK_OK;
}

int file_temp_create(const char *path, mode_t mode, char tmp[FILE_TEMP_PATH_MAX])
{
    int n = snprintf(tmp, FILE_TEMP_PATH_MAX, "%s.XXXXXX", path);
    if (n < 0 || n >= FILE_TEMP_PATH_MAX) {
        (void)err_set(DSTACK_EIO, "%s: path too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        (void)err_set(DSTACK_EIO, "cannot create a file beside %s: %s", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        (void)err_set(DSTACK_EIO, "cannot set the mode of %s: %s", tmp, strerror(errno));
        file_temp_abort(fd, tmp);
        return -1;
    }
    return fd;
}

void file_temp_abort(int fd, const char *tmp)
{
    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
}

dstack_err file_temp_commit(int fd, const char *tmp, const char *path, bool replace)
{
    if (fsync(fd) != 0) {
        (void)err_set(DSTACK_EIO, "cannot write %s: %s", path, strerror(errno));
        file_temp_abort(fd, tmp);
        return DSTACK_EIO;
    }
    if (close(fd) != 0) {
        (void)err_set(DSTACK_EIO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return DSTACK_EIO;
    }
    /* link(2) never follows a symlink at its destination and fails on any existing name; rename
     * replaces the name itself, never a symlink's target. */
    int rc = replace ? rename(tmp, path) : link(tmp, path);
    if (rc != 0 && !(!replace && errno == EEXIST)) {
        (void)err_set(DSTACK_EIO, "cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
        return DSTACK_EIO;
    }
    if (!replace) {
        unlink(tmp);
    }
    return DSTACK_OK;
}

dstack_err file_write_new(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
    char tmp[FILE_TEMP_PATH_MAX];
    int fd = file_temp_create(path, mode, tmp);
    if (fd < 0) {
        return DSTACK_EIO;
    }
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            (void)err_set(DSTACK_EIO, "cannot write %s: %s", path,
                          w < 0 ? strerror(errno) : "no space");
            file_temp_abort(fd, tmp);
            return DSTACK_EIO;
        }
        p += w;
        len -= (size_t)w;
    }
    return file_temp_commit(fd, tmp, path, replace);
}

/* Reading small files that come from outside (keys, compose, sys-config, attestation, logs). */
#ifndef DSTACK_UTIL_FILE_H
#define DSTACK_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <dstack/common.h>

/* Reads the whole regular file at path, at most max bytes, into a malloc'd NUL-terminated
 * buffer (the NUL is not counted in *len). The file is opened with O_NONBLOCK, so a FIFO put in
 * its place cannot block the caller; anything but a regular file is refused. When missing is
 * not NULL, a file that does not exist is not an error: *missing is set and *out stays NULL.
 * On failure the error text (util/error.h) names the file: "<path>: <reason>"; DSTACK_EIO or
 * DSTACK_ENOMEM. */
dstack_err file_read_all(const char *path, size_t max, char **out, size_t *len, bool *missing);

/* Files the daemons create: never through a name someone else could have planted (a symlink in
 * the state folder would redirect the write). A new file is created exclusively under a fresh
 * random name beside its destination (mkostemp: O_CREAT|O_EXCL, which follows no symlink), filled,
 * fsynced, then renamed over the destination (replace) or linked to it (a destination that
 * exists already is kept). */
#define FILE_TEMP_PATH_MAX 1200

/* Creates <path>.XXXXXX with mode; returns its fd (and its name in tmp), or -1 with the error
 * text set. */
int file_temp_create(const char *path, mode_t mode, char tmp[FILE_TEMP_PATH_MAX]);

/* fsync + close fd, then renames tmp to path (replace) or links it there (!replace: an existing
 * path stays, no error); the temporary name is gone either way. */
dstack_err file_temp_commit(int fd, const char *tmp, const char *path, bool replace);

/* Closes fd and removes tmp, after a failure. */
void file_temp_abort(int fd, const char *tmp);

/* file_temp_create + one write + file_temp_commit. */
dstack_err file_write_new(const char *path, const void *data, size_t len, mode_t mode,
                          bool replace);

#endif

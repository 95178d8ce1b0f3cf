/* Reading small files that come from outside (keys, compose, sys-config, attestation, logs). */
#ifndef DSTACK_UTIL_FILE_H
#define DSTACK_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <dstack/common.h>

/* Reads the whole regular file at path, at most max bytes, into a malloc'd NUL-terminated
 * buffer (the NUL is not counted in *len). The file is opened with O_NONBLOCK, so a FIFO put in
 * its place cannot block the caller; anything but a regular file is refused. When missing is
 * not NULL, a file that does not exist is not an error: *missing is set and *out stays NULL.
 * On failure err (capacity cap) names the file: "<path>: <reason>"; DSTACK_EIO or
 * DSTACK_ENOMEM. */
dstack_err file_read_all(const char *path, size_t max, char **out, size_t *len, bool *missing,
                         char *err, size_t cap);

#endif

/* Listening sockets: Unix (stale files removed, mode set) and TCP. */
#ifndef DSTACK_AGENT_LISTEN_H
#define DSTACK_AGENT_LISTEN_H

#include <stddef.h>

/* "unix:/path" or a bare path starting with '/' or '.', else "host:port" / "[v6]:port".
 * Returns the listening fd or -1 with a message in err. *is_unix tells which kind. */
int listen_open(const char *address, unsigned mode, int *is_unix, char *err, size_t errlen);

/* The filesystem path of a unix address, or NULL for TCP. */
const char *listen_unix_path(const char *address);

#endif

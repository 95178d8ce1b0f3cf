/* The errno-like message behind dstack_last_error(): one buffer per thread, so a client shared
 * by many threads never mixes up their messages. */
#include "client/client_internal.h"

#include <stdio.h>

/* Long enough for an agent's anyhow context chain; longer texts are truncated. */
#define ERRMSG_CAP 2048

static _Thread_local char errmsg[ERRMSG_CAP];

dstack_err client_fail(dstack_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return err;
}

void client_clear_error(void)
{
    errmsg[0] = '\0';
}

const char *dstack_last_error(void)
{
    return errmsg;
}

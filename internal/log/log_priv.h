/* Shared by the two halves of the logger: the filter (log_filter.c) and the writer (log.c). */
#ifndef DSTACK_INTERNAL_LOG_PRIV_H
#define DSTACK_INTERNAL_LOG_PRIV_H

/* The program's own threshold (an enum log_level), read on every line. */
int log_threshold(void);

#endif

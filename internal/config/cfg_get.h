/* Typed reads of a configuration tree (cfg_tree.h) into fixed-size fields. Each marks the key
 * used; a key of the wrong type or out of range is an error naming its path ("default.workers
 * must be an integer between 0 and 1024", in err_text(); DSTACK_EINVAL). An absent key leaves
 * the field as it was. */
#ifndef DSTACK_INTERNAL_CFG_GET_H
#define DSTACK_INTERNAL_CFG_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "cfg_tree.h"

/* where: the dotted path of t ("default.core"), for messages. */
dstack_err cfg_get_string(struct cfg_node *t, const char *key, char *dst, size_t cap,
                          const char *where);
dstack_err cfg_get_uint(struct cfg_node *t, const char *key, uint64_t max, uint64_t *out,
                        const char *where);
dstack_err cfg_get_bool(struct cfg_node *t, const char *key, bool *out, const char *where);
/* A table (NULL when absent); anything else is an error. */
dstack_err cfg_get_table(struct cfg_node *t, const char *key, struct cfg_node **out,
                         const char *where);

/* A size as Rocket's ByteUnit reads it: an integer number of bytes, or a string of a number
 * (decimals allowed) and an optional unit, case-insensitive: B, kB, KiB, MB, MiB, GB, GiB, TB,
 * TiB ("1MiB", "10 MB", "1.5 KiB"). Fractions of a byte round down. -1 when unreadable or above
 * max. */
int cfg_parse_size(const struct cfg_node *n, uint64_t max, uint64_t *out);

#endif
